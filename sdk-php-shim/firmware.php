<?php
// Entry of a PHP firmware preprocessing script (firmware/NAME.php), run by the PHP CLI in
// the one-off firmware sandbox (see docs/sandbox.md), never in a provider worker: like the
// bash scripts it may exec the image and archive tools, and it has no host callbacks.
// The exit status carries the verdict; stderr carries the reason and warnings.

const PROVHOST_FW_ACCEPT = 100;
const PROVHOST_FW_REJECT = 101;
const PROVHOST_FW_NO_DECISION = 102;

function acceptFirmware(): never
{
    exit(PROVHOST_FW_ACCEPT);
}

function rejectFirmware(string $reason = ''): never
{
    if ($reason !== '') {
        fwrite(STDERR, $reason . "\n");
    }
    exit(PROVHOST_FW_REJECT);
}

// The seed spells the shell functions with underscores; accept both in PHP too.
function accept_firmware(): never
{
    acceptFirmware();
}

function reject_firmware(string $reason = ''): never
{
    rejectFirmware($reason);
}

/** Run the script in a function-free scope whose globals are the seed's FW_ variables. */
function provhost_firmware_main(string $script): void
{
    foreach (getenv() as $name => $value) {
        if (preg_match('/^(FW_[A-Z0-9_]+|MODULE_ID)$/', $name)) {
            $GLOBALS[$name] = $name === 'FW_VERIFY' ? (int)$value : $value;
        }
    }
    if (!is_file($script)) {
        fwrite(STDERR, "firmware script not found: $script\n");
        exit(PROVHOST_FW_NO_DECISION);
    }
}

provhost_firmware_main($argv[1] ?? '');
include $argv[1];
exit(PROVHOST_FW_NO_DECISION);
