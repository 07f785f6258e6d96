<?php
// Compatibility for module code written for older Kerio Operator and PHP versions: functions
// that PHP 8 removed but old module code commonly calls, and Kerio's deprecated
// generateDialplan() (2.2.2 changelog).  Each is defined only where PHP lacks it; `provhost
// module check` lists every use with file:line so that authors can modernise.

namespace {

if (!function_exists('each')) {
    /** PHP < 8: the current key/value pair of $array, then advance; false at the end. */
    function each(array &$array): array|false
    {
        $key = key($array);
        if ($key === null) {
            return false;
        }
        $value = current($array);
        next($array);
        return [1 => $value, 'value' => $value, 0 => $key, 'key' => $key];
    }
}

if (!function_exists('create_function')) {
    /** PHP < 8: an anonymous function from source text (a Closure here; callable alike). */
    function create_function(string $args, string $code): \Closure
    {
        return eval("return function ($args) { $code };");
    }
}

/** A POSIX (ereg) pattern as a PCRE one: same syntax for what modules use, new delimiter. */
function provhost_posix_pattern(string $pattern, bool $icase): string
{
    return '~' . str_replace('~', '\~', $pattern) . '~' . ($icase ? 'i' : '');
}

if (!function_exists('ereg')) {
    function ereg(string $pattern, string $string, ?array &$regs = null): int|false
    {
        if (!preg_match(provhost_posix_pattern($pattern, false), $string, $m)) {
            return false;
        }
        $regs = $m;
        return max(1, strlen($m[0]));
    }

    function eregi(string $pattern, string $string, ?array &$regs = null): int|false
    {
        if (!preg_match(provhost_posix_pattern($pattern, true), $string, $m)) {
            return false;
        }
        $regs = $m;
        return max(1, strlen($m[0]));
    }

    function ereg_replace(string $pattern, string $replacement, string $string): string
    {
        $replacement = preg_replace('~\\\\([0-9])~', '\$$1', $replacement);
        return (string)preg_replace(provhost_posix_pattern($pattern, false), $replacement, $string);
    }

    function eregi_replace(string $pattern, string $replacement, string $string): string
    {
        $replacement = preg_replace('~\\\\([0-9])~', '\$$1', $replacement);
        return (string)preg_replace(provhost_posix_pattern($pattern, true), $replacement, $string);
    }
}

if (!function_exists('split')) {
    function split(string $pattern, string $string, int $limit = -1): array
    {
        return preg_split(provhost_posix_pattern($pattern, false), $string, $limit);
    }

    function spliti(string $pattern, string $string, int $limit = -1): array
    {
        return preg_split(provhost_posix_pattern($pattern, true), $string, $limit);
    }
}

/**
 * Kerio < 2.2.2 generated dialplans in the provider; since then dialplans/NAME.php does, and
 * its text is $DIALPLAN_NAME (or $DIALPLAN for the phone's DIALPLAN_TYPE).  The old call
 * maps onto that: generateDialplan() is the phone's dialplan, generateDialplan('spa') the
 * output of dialplans/spa.php.
 */
function generateDialplan(?string $name = null): string
{
    if ($name !== null && $name !== '') {
        return (string)($GLOBALS["DIALPLAN_$name"] ?? '');
    }
    return (string)($GLOBALS['DIALPLAN'] ?? '');
}

}  // namespace
