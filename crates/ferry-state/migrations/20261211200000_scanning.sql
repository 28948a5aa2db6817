-- Malware scanning with ClamAV (issue 28 §7). Each file has a scan state:
--   off        uploaded while scanning was off (no CLAMAV_URL): served as before;
--   pending    waiting for clamd (the scan job); with SCAN_REQUIRED=true not served;
--   clean      clamd found nothing;
--   infected   clamd found `scan_signature`: never served;
--   too_large  bigger than SCAN_MAX_SIZE or clamd's StreamMaxLength: not scanned, so
--              served only when SCAN_REQUIRED is false.
-- Files stored before this migration are `off`: they were never scanned.
ALTER TABLE files
    ADD COLUMN scan TEXT NOT NULL DEFAULT 'off'
        CHECK (scan IN ('off', 'pending', 'clean', 'infected', 'too_large')),
    ADD COLUMN scan_signature TEXT,
    ADD COLUMN scanned_at TIMESTAMPTZ;

-- The sweep that enqueues scans never enqueued (or lost) finds pending files here.
CREATE INDEX files_scan_pending ON files (created_at) WHERE scan = 'pending';
