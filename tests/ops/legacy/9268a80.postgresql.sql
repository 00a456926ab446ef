-- DDL emitted by Base.metadata.create_all at release 9268a80 (postgresql), before Alembic.
-- Generated once from that release's code; never regenerate from newer models.
CREATE TABLE incidents (
	id SERIAL NOT NULL, 
	ref VARCHAR(12), 
	type_key VARCHAR(40) NOT NULL, 
	severity VARCHAR(20) NOT NULL, 
	caller VARCHAR(32), 
	callback_number VARCHAR(32), 
	language VARCHAR(16) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	relayed_by VARCHAR(64), 
	site VARCHAR(16), 
	drill BOOLEAN NOT NULL, 
	call_sid VARCHAR(64), 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	page_due_at TIMESTAMP WITH TIME ZONE, 
	paging_stopped_by VARCHAR(64), 
	paging_stopped_reason TEXT, 
	paging_stopped_at TIMESTAMP WITH TIME ZONE, 
	accepted_at TIMESTAMP WITH TIME ZONE, 
	accepted_by VARCHAR(64), 
	closed_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ix_incidents_ref ON incidents (ref);

CREATE INDEX ix_incidents_status ON incidents (status);

CREATE INDEX ix_incidents_call_sid ON incidents (call_sid);

CREATE INDEX ix_incidents_page_due_at ON incidents (page_due_at);

CREATE TABLE leases (
	name VARCHAR(64) NOT NULL, 
	holder VARCHAR(120) NOT NULL, 
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (name)
);

CREATE TABLE callouts (
	id SERIAL NOT NULL, 
	state VARCHAR(20) NOT NULL, 
	type_key VARCHAR(40) NOT NULL, 
	policy_key VARCHAR(40) NOT NULL, 
	storm BOOLEAN NOT NULL, 
	round INTEGER NOT NULL, 
	step INTEGER, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	started_at TIMESTAMP WITH TIME ZONE, 
	unacknowledged_at TIMESTAMP WITH TIME ZONE, 
	next_wake_at TIMESTAMP WITH TIME ZONE, 
	accepted_by VARCHAR(64), 
	accepted_by_name VARCHAR(120), 
	accepted_at TIMESTAMP WITH TIME ZONE, 
	accepted_attempt_id INTEGER, 
	cancelled_at TIMESTAMP WITH TIME ZONE, 
	cancel_reason TEXT, 
	storm_type VARCHAR(40), 
	closed_out_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id), 
	UNIQUE (storm_type)
);

CREATE INDEX ix_callouts_state ON callouts (state);

CREATE INDEX ix_callouts_next_wake_at ON callouts (next_wake_at);

CREATE TABLE calls (
	id SERIAL NOT NULL, 
	sid VARCHAR(64) NOT NULL, 
	direction VARCHAR(20) NOT NULL, 
	purpose VARCHAR(20) NOT NULL, 
	from_number VARCHAR(32), 
	to_number VARCHAR(32), 
	status VARCHAR(20) NOT NULL, 
	abandoned BOOLEAN NOT NULL, 
	incident_id INTEGER, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	ended_at TIMESTAMP WITH TIME ZONE, 
	duration INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (sid), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);

CREATE INDEX ix_calls_incident_id ON calls (incident_id);

CREATE INDEX ix_calls_abandoned ON calls (abandoned);

CREATE TABLE recordings (
	id SERIAL NOT NULL, 
	incident_id INTEGER, 
	sid VARCHAR(64), 
	kind VARCHAR(20) NOT NULL, 
	source_url TEXT, 
	status VARCHAR(20) NOT NULL, 
	path TEXT, 
	sha256 VARCHAR(64), 
	duration FLOAT, 
	format VARCHAR(40), 
	size INTEGER, 
	attempts INTEGER NOT NULL, 
	last_try_at TIMESTAMP WITH TIME ZONE, 
	error TEXT, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	stored_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id), 
	UNIQUE (sid)
);

CREATE INDEX ix_recordings_incident_id ON recordings (incident_id);

CREATE INDEX ix_recordings_status ON recordings (status);

CREATE TABLE audit_events (
	id SERIAL NOT NULL, 
	incident_id INTEGER, 
	at TIMESTAMP WITH TIME ZONE NOT NULL, 
	kind VARCHAR(40) NOT NULL, 
	actor VARCHAR(64) NOT NULL, 
	detail JSON NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);

CREATE INDEX ix_audit_events_at ON audit_events (at);

CREATE INDEX ix_audit_events_incident_id ON audit_events (incident_id);

CREATE TABLE callout_incidents (
	callout_id INTEGER NOT NULL, 
	incident_id INTEGER NOT NULL, 
	active BOOLEAN DEFAULT true NOT NULL, 
	PRIMARY KEY (callout_id, incident_id), 
	FOREIGN KEY(callout_id) REFERENCES callouts (id) ON DELETE CASCADE, 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);

CREATE UNIQUE INDEX uq_incident_paged_once ON callout_incidents (incident_id) WHERE active;

CREATE TABLE attempts (
	id SERIAL NOT NULL, 
	callout_id INTEGER NOT NULL, 
	person_key VARCHAR(64) NOT NULL, 
	person_name VARCHAR(120) NOT NULL, 
	phone VARCHAR(32) NOT NULL, 
	round INTEGER NOT NULL, 
	step INTEGER NOT NULL, 
	source VARCHAR(80) NOT NULL, 
	ring_timeout INTEGER NOT NULL, 
	call_sid VARCHAR(64), 
	state VARCHAR(20) NOT NULL, 
	outcome VARCHAR(20), 
	answered_by VARCHAR(40), 
	digits VARCHAR(16), 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	ring_started_at TIMESTAMP WITH TIME ZONE, 
	answered_at TIMESTAMP WITH TIME ZONE, 
	ended_at TIMESTAMP WITH TIME ZONE, 
	twilio_error TEXT, 
	placing_at TIMESTAMP WITH TIME ZONE, 
	place_tries INTEGER NOT NULL, 
	retry_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_attempt_slot UNIQUE (callout_id, round, step, person_key), 
	FOREIGN KEY(callout_id) REFERENCES callouts (id) ON DELETE CASCADE, 
	UNIQUE (call_sid)
);

CREATE INDEX ix_attempts_state ON attempts (state);

CREATE UNIQUE INDEX uq_attempt_one_acceptor ON attempts (callout_id) WHERE outcome = 'accepted';

CREATE INDEX ix_attempts_callout_id ON attempts (callout_id);

CREATE TABLE call_events (
	id SERIAL NOT NULL, 
	call_id INTEGER NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	at TIMESTAMP WITH TIME ZONE NOT NULL, 
	detail JSON NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(call_id) REFERENCES calls (id)
);

CREATE INDEX ix_call_events_call_id ON call_events (call_id);

CREATE TABLE transcripts (
	id SERIAL NOT NULL, 
	recording_id INTEGER NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	text TEXT NOT NULL, 
	words JSON NOT NULL, 
	model TEXT, 
	language VARCHAR(16), 
	audio_seconds FLOAT, 
	decode_seconds FLOAT, 
	rtf FLOAT, 
	reason TEXT, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (recording_id), 
	FOREIGN KEY(recording_id) REFERENCES recordings (id)
);
