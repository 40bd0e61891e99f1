-- When the beneficiary last wrote on a case (the received time of the last mail filed on
-- it): the reminder clock restarts from it. It was read back from the wording of the
-- messages' outcome text, which a request for several platforms does not carry per case.
ALTER TABLE cases ADD COLUMN last_mail_at TEXT;
UPDATE cases SET last_mail_at = (
    SELECT max(received_at) FROM messages
    WHERE messages.case_id = cases.id AND messages.outcome LIKE 'filed on %'
);
