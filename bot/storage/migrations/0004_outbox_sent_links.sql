-- Marking an outbox message sent links it to its case in the same statement, so the sender
-- records a delivery with one write instead of a transaction of two.
CREATE TRIGGER outbox_sent_link AFTER UPDATE OF status ON outbox
WHEN NEW.status = 'sent' AND NEW.case_id IS NOT NULL AND NEW.message_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO relay_links (chat_id, message_id, case_id)
    VALUES (NEW.chat_id, NEW.message_id, NEW.case_id);
END;
