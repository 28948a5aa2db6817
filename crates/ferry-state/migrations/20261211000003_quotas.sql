-- Per-user storage quotas (issue 28, section 5).
--
-- `used_bytes` counts the bytes of the account's transfers that are not purged yet. A
-- transfer is charged in the transaction that creates it, by one conditional UPDATE
-- (`used_bytes + its bytes <= quota`), so replicas racing for the last bytes of a
-- quota never store more than it; the charge is kept on the transfer
-- (`quota_charged`) and given back when the purge deletes its row. No charge is held
-- by an upload in flight: a process killed mid-upload leaves nothing to leak.
ALTER TABLE users
    -- An admin's quota for this account; NULL: DEFAULT_USER_QUOTA (unset: none).
    ADD COLUMN quota_bytes BIGINT CHECK (quota_bytes >= 0),
    ADD COLUMN used_bytes  BIGINT NOT NULL DEFAULT 0 CHECK (used_bytes >= 0);
ALTER TABLE transfers
    ADD COLUMN quota_charged BIGINT NOT NULL DEFAULT 0 CHECK (quota_charged >= 0);

-- What accounts own today counts from now on.
UPDATE transfers t SET quota_charged = f.total
FROM (SELECT transfer_id, sum(size)::bigint AS total FROM files GROUP BY transfer_id) f
WHERE f.transfer_id = t.id AND t.owner_id IS NOT NULL;
UPDATE users u SET used_bytes = c.total
FROM (SELECT owner_id, sum(quota_charged)::bigint AS total FROM transfers
      WHERE owner_id IS NOT NULL GROUP BY owner_id) c
WHERE c.owner_id = u.id;
