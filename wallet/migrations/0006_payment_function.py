"""A direct payment in one call on PostgreSQL: ``wallet_pay`` does, server side and in the
caller's transaction, what ``wallet.services.payments`` does statement by statement on
SQLite (profile activity and freeze check, both accounts in primary-key order with the
balance check in the debit's condition, the journal transaction and its postings, the limit
counters, the payment row and its notices in the outbox). A refusal raises with the error
code as its message and rolls back with the caller's transaction."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION wallet_pay(
    p_payer_user bigint,
    p_payee bigint,
    p_payee_slot integer,
    p_currency text,
    p_amount bigint,
    p_description text,
    p_metadata jsonb,
    p_now timestamptz,
    p_amount_cny bigint,
    p_spans text[],
    p_periods date[],
    p_caps bigint[],
    p_refusals text[],
    p_notices jsonb,
    OUT payment_id bigint,
    OUT transaction_id bigint,
    OUT payer_account bigint,
    OUT balance_minor bigint,
    OUT held_minor bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_counted text[];
BEGIN
    -- The profile row first: a freeze and a payment cannot pass each other.
    UPDATE wallet_walletprofile SET last_activity_at = p_now
     WHERE user_id = p_payer_user AND frozen_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet_frozen';
    END IF;

    SELECT id INTO payer_account FROM wallet_account
     WHERE kind = 'customer' AND owner_id = p_payer_user AND currency = p_currency;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insufficient_funds';
    END IF;
    IF payer_account = p_payee THEN
        RAISE EXCEPTION 'self_transfer';
    END IF;

    -- Accounts in primary-key order; a hot payee's credit goes to a shard, after them.
    IF p_payee_slot IS NULL AND p_payee < payer_account THEN
        UPDATE wallet_account a SET balance_minor = a.balance_minor + p_amount
         WHERE a.id = p_payee AND a.status <> 'closed';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account_unavailable';
        END IF;
    END IF;

    UPDATE wallet_account a SET balance_minor = a.balance_minor - p_amount
     WHERE a.id = payer_account AND a.status = 'active'
       AND (a.allow_negative OR a.balance_minor - p_amount >= a.held_minor)
     RETURNING a.balance_minor, a.held_minor INTO balance_minor, held_minor;
    IF NOT FOUND THEN
        SELECT a.status INTO v_status FROM wallet_account a WHERE a.id = payer_account;
        IF v_status <> 'active' THEN
            RAISE EXCEPTION 'account_unavailable';
        END IF;
        RAISE EXCEPTION 'insufficient_funds';
    END IF;

    IF p_payee_slot IS NULL AND p_payee > payer_account THEN
        UPDATE wallet_account a SET balance_minor = a.balance_minor + p_amount
         WHERE a.id = p_payee AND a.status <> 'closed';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account_unavailable';
        END IF;
    ELSIF p_payee_slot IS NOT NULL THEN
        UPDATE wallet_accountshard s SET balance_minor = s.balance_minor + p_amount
         WHERE s.account_id = p_payee AND s.slot = p_payee_slot;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'hot account % has no shard %', p_payee, p_payee_slot;
        END IF;
    END IF;

    INSERT INTO wallet_journaltransaction
           (kind, description, metadata, parent_id, reference, created_by_id, created_at)
    VALUES ('payment', left(p_description, 200), p_metadata, NULL, NULL, p_payer_user, p_now)
    RETURNING id INTO transaction_id;
    INSERT INTO wallet_posting (transaction_id, account_id, amount_minor, currency)
    VALUES (transaction_id, payer_account, -p_amount, p_currency),
           (transaction_id, p_payee, p_amount, p_currency);

    -- Limit counters in the caller's order; each grows only if it stays within its cap.
    WITH wanted AS (
        SELECT w.span, w.period, w.cap FROM unnest(p_spans, p_periods, p_caps) AS w(span, period, cap)
    ), counted AS (
        INSERT INTO wallet_usagecounter AS c (user_id, span, period, used_minor)
        SELECT p_payer_user, wanted.span, wanted.period, p_amount_cny FROM wanted
        ON CONFLICT (user_id, span, period) DO UPDATE
           SET used_minor = c.used_minor + EXCLUDED.used_minor
         WHERE c.used_minor + EXCLUDED.used_minor
               <= (SELECT wanted.cap FROM wanted WHERE wanted.span = EXCLUDED.span)
        RETURNING c.span
    )
    SELECT coalesce(array_agg(counted.span), '{}') INTO v_counted FROM counted;
    FOR i IN 1 .. coalesce(array_length(p_spans, 1), 0) LOOP
        IF NOT (p_spans[i] = ANY (v_counted)) THEN
            RAISE EXCEPTION '%', p_refusals[i];
        END IF;
    END LOOP;

    INSERT INTO wallet_payment
           (payer_id, payee_id, amount_minor, refunded_minor, currency, status, description,
            transaction_id, hold_id, created_at)
    VALUES (payer_account, p_payee, p_amount, 0, p_currency, 'completed',
            left(p_description, 200), transaction_id, NULL, p_now)
    RETURNING id INTO payment_id;

    INSERT INTO wallet_noticeoutbox (payload, created_at, sent_at)
    SELECT n || jsonb_build_object(
                  'url', replace(n->>'url', '{transaction}', transaction_id::text),
                  'data', jsonb_build_object('payment_id', payment_id,
                                             'transaction_id', transaction_id)),
           p_now, NULL
      FROM jsonb_array_elements(p_notices) AS n;
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS wallet_pay(
    bigint, bigint, integer, text, bigint, text, jsonb, timestamptz, bigint, text[], date[],
    bigint[], text[], jsonb);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0005_notice_outbox")]

    operations = [migrations.RunPython(create, drop)]
