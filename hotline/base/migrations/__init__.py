"""The Alembic environment of the hotline's schema. It ships inside the package, so an installed
hotline can migrate its database with no alembic.ini: `hotline.base.schema` builds the Alembic
Config in code. Every new table or column comes with a revision in `versions/`
(tests/ops/test_migrations.py fails while the models and the migrations disagree).
"""
