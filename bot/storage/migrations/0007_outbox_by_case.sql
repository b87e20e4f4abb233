-- A confirmation is found again by its case and chat (to edit it to count a burst of
-- messages): without this index that look-up read every row the outbox ever sent.
CREATE INDEX outbox_case_chat ON outbox (case_id, chat_id, id) WHERE case_id IS NOT NULL;
-- An edit waiting for its turn is found by the message it edits, to take a newer text.
CREATE INDEX outbox_edit ON outbox (edit_of) WHERE status = 'pending' AND edit_of IS NOT NULL;
