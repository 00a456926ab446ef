"""What tests and benchmarks share and the product does not ship: a whole hotline on one
machine (`sandbox.py`)."""
