-- A case speaks the language its beneficiary last wrote in; a case an operator opened
-- without saying the language has none until the beneficiary writes (mail sent before that
-- uses agency.default_language). SQLite cannot drop NOT NULL in place, and rebuilding
-- `cases` would trip the foreign keys that point at it: the column is replaced instead.
ALTER TABLE cases ADD COLUMN speaks TEXT CHECK (speaks IN ('ro', 'ru', 'en'));
UPDATE cases SET speaks = language;
ALTER TABLE cases DROP COLUMN language;
ALTER TABLE cases RENAME COLUMN speaks TO language;
