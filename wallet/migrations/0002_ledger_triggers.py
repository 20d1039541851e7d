"""PostgreSQL guards for the ledger: every journal transaction balances per currency at
commit, and postings and transactions are append-only. (SQLite, used only for local
development, relies on the same checks in wallet.services.ledger.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION wallet_check_transaction_balanced() RETURNS trigger AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT currency, SUM(amount_minor) AS total INTO unbalanced
      FROM wallet_posting
     WHERE transaction_id = NEW.transaction_id
     GROUP BY currency
    HAVING SUM(amount_minor) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal transaction % does not balance in %: off by %',
            NEW.transaction_id, unbalanced.currency, unbalanced.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER wallet_posting_balanced
    AFTER INSERT ON wallet_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION wallet_check_transaction_balanced();

CREATE OR REPLACE FUNCTION wallet_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: post a correcting transaction instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER wallet_posting_append_only
    BEFORE UPDATE OR DELETE ON wallet_posting
    FOR EACH ROW EXECUTE FUNCTION wallet_refuse_change();

CREATE TRIGGER wallet_journaltransaction_append_only
    BEFORE UPDATE OR DELETE ON wallet_journaltransaction
    FOR EACH ROW EXECUTE FUNCTION wallet_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS wallet_journaltransaction_append_only ON wallet_journaltransaction;
DROP TRIGGER IF EXISTS wallet_posting_append_only ON wallet_posting;
DROP FUNCTION IF EXISTS wallet_refuse_change();
DROP TRIGGER IF EXISTS wallet_posting_balanced ON wallet_posting;
DROP FUNCTION IF EXISTS wallet_check_transaction_balanced();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
