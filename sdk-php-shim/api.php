<?php
// The module API as module scripts see it (the seed's functions), on top of three native
// functions of the worker: provhost_request(), provhost_call(), provhost_finish().
// Every output function sends the request's one outcome and ends the script with exit,
// which a module's try/catch/finally cannot intercept.

namespace Provhost {

/** Raised in the script when the host refuses a call (unknown phone type, bad marker, ...). */
class BrokerException extends \Exception {}

/** Raised when a script misuses the API (template missing, bad path, ...). */
class ApiException extends \Exception {}

final class Shim
{
    public const OUTPUT_LIMIT = 8 * 1024 * 1024;
    public const LOG_LIMIT = 100;
    public const EXPAND_MAX_PASSES = 8;
    private const FATAL = E_ERROR | E_PARSE | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR;

    public static bool $done = false;
    public static string $kind = '';
    public static array $log = [];
    public static array $typeOptions = [];
    public static ?string $templateFile = null;
    private static string $captured = '';
    private static int $capturedSize = 0;
    private static bool $overflow = false;
    private static int $captureLevel = 0;

    /** Set the input globals and return the module script to include at global scope. */
    public static function begin(): string
    {
        set_error_handler([self::class, 'onError']);
        set_exception_handler([self::class, 'onException']);
        register_shutdown_function([self::class, 'onShutdown']);
        stream_wrapper_register('provhost-conn', ConnStream::class);
        $req = \msgpack_unpack(\provhost_request());
        if (!is_array($req)) {
            self::fail('the host sent a malformed request');
        }
        self::$kind = (string)($req['kind'] ?? '');
        $vars = is_array($req['variables'] ?? null) ? $req['variables'] : [];
        foreach ($vars as $name => $value) {
            if (is_string($name) && preg_match('/^[A-Za-z_][A-Za-z0-9_]*$/', $name)
                && $name !== 'GLOBALS' && $name[0] !== '_') {
                $GLOBALS[$name] = $value;
            }
        }
        if (self::$kind === 'expand') {
            $values = self::expand((array)($vars['OPTIONS'] ?? []),
                (string)($vars['IDENT'] ?? ''), (string)($vars['MAC'] ?? ''));
            self::finish(['action' => 'done', 'body' => \msgpack_pack($values)]);
            exit;
        }
        $script = (string)($req['script'] ?? '');
        $path = self::modulePath($script);
        if (!is_file($path)) {
            self::fail("module script not found: $script");
        }
        self::startCapture();
        return $path;
    }

    /** The script reached its end without an output function. */
    public static function end(): void
    {
        $out = self::stopCapture();
        switch (self::$kind) {
            case 'provider':
                self::finish(['action' => 'pass']);
                break;
            default:
                self::finish(['action' => 'done', 'body' => $out]);
        }
        exit;
    }

    public static function finish(array $outcome): void
    {
        if (self::$done) {
            return;
        }
        self::$done = true;
        while (ob_get_level() > 0) {
            @ob_end_clean();
        }
        $outcome['log'] = self::$log;
        \provhost_finish(\msgpack_pack($outcome));
    }

    public static function fail(string $message): never
    {
        self::finish(['action' => 'error', 'error' => $message]);
        exit;
    }

    /** Send an outcome and end the script. */
    public static function send(array $outcome): never
    {
        self::finish($outcome);
        exit;
    }

    public static function call(string $function, array $args): mixed
    {
        $reply = \msgpack_unpack(\provhost_call(\msgpack_pack([$function, array_values($args)])));
        if (is_array($reply) && array_key_exists('error', $reply)) {
            throw new BrokerException("$function(): " . $reply['error']);
        }
        return is_array($reply) ? ($reply['ok'] ?? null) : null;
    }

    // ----- output capture with a size cap -----

    public static function startCapture(): void
    {
        self::$captured = '';
        self::$capturedSize = 0;
        self::$overflow = false;
        ob_start([self::class, 'onOutput'], 65536);
        self::$captureLevel = ob_get_level();
    }

    public static function onOutput(string $buffer, int $phase): string
    {
        self::$capturedSize += strlen($buffer);
        if (self::$capturedSize > self::OUTPUT_LIMIT) {
            self::$overflow = true;
            self::$captured = '';
        } elseif (!self::$overflow) {
            self::$captured .= $buffer;
        }
        return '';
    }

    public static function stopCapture(): string
    {
        while (ob_get_level() >= self::$captureLevel && ob_get_level() > 0) {
            ob_end_flush();
        }
        if (self::$overflow) {
            self::fail(sprintf('the script produced more than %d bytes of output (%d)',
                self::OUTPUT_LIMIT, self::$capturedSize));
        }
        $out = self::$captured;
        self::$captured = '';
        return $out;
    }

    // ----- errors, mapped to module-relative names -----

    public static function where(string $file): string
    {
        if (preg_match('~^/compiled/templates/(.+)\.php$~', $file, $m)) {
            return "templates/{$m[1]}.tpl";
        }
        if (str_starts_with($file, '/module/')) {
            return substr($file, 8);
        }
        return $file;
    }

    public static function mapMessage(string $message): string
    {
        return preg_replace_callback('~/compiled/templates/([^\s:]+?)\.php~',
            fn($m) => "templates/{$m[1]}.tpl",
            str_replace('/module/', '', $message));
    }

    public static function onError(int $no, string $message, string $file = '', int $line = 0): bool
    {
        if (!(error_reporting() & $no)) {
            return true;
        }
        if (count(self::$log) < self::LOG_LIMIT) {
            $level = match ($no) {
                E_WARNING, E_USER_WARNING => 'Warning',
                E_NOTICE, E_USER_NOTICE => 'Notice',
                E_DEPRECATED, E_USER_DEPRECATED => 'Deprecated',
                default => 'Error',
            };
            self::$log[] = "$level: " . self::mapMessage($message) . ' in ' . self::where($file)
                . " line $line";
        }
        return true;
    }

    /** "Class: message in providers/x.php line N", naming the module's frame, not the shim's. */
    public static function describe(\Throwable $e): string
    {
        [$file, $line] = [$e->getFile(), $e->getLine()];
        if (str_starts_with($file, '/shim/')) {
            foreach ($e->getTrace() as $frame) {
                if (isset($frame['file']) && !str_starts_with($frame['file'], '/shim/')) {
                    [$file, $line] = [$frame['file'], $frame['line'] ?? 0];
                    break;
                }
            }
        }
        return get_class($e) . ': ' . self::mapMessage($e->getMessage()) . ' in '
            . self::where($file) . ' line ' . $line;
    }

    public static function onException(\Throwable $e): void
    {
        self::finish(['action' => 'error', 'error' => 'Uncaught ' . self::describe($e)]);
    }

    public static function onShutdown(): void
    {
        if (self::$done) {
            return;
        }
        $e = error_get_last();
        if ($e && ($e['type'] & self::FATAL)) {
            self::finish(['action' => 'error', 'error' => 'PHP Fatal error: '
                . self::mapMessage($e['message']) . ' in ' . self::where($e['file'])
                . ' line ' . $e['line']]);
            return;
        }
        // exit() inside the module script: the same as reaching its end
        self::end();
    }

    // ----- paths -----

    public static function relative(string $path, string $what): string
    {
        $path = ltrim($path, '/');
        if ($path === '' || str_contains($path, "\0")
            || in_array('..', explode('/', $path), true)) {
            throw new ApiException("$what: invalid path '$path'");
        }
        return $path;
    }

    public static function modulePath(string $relative): string
    {
        return '/module/' . self::relative($relative, 'module file');
    }

    // ----- templates -----

    public static function renderTemplate(string $name): string
    {
        if (!preg_match('/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/', $name) || str_contains($name, '..')) {
            throw new ApiException("sendTemplate(): invalid template name '$name'");
        }
        $file = "/compiled/templates/$name.php";
        if (!is_file($file)) {
            throw new ApiException("sendTemplate(): template not found: templates/$name.tpl");
        }
        self::$templateFile = $file;
        $level = ob_get_level();
        ob_start(null, 0);
        try {
            (static function (): void {
                foreach (array_keys($GLOBALS) as $__name) {
                    if ($__name !== 'GLOBALS' && $__name !== 'this') {
                        ${$__name} = &$GLOBALS[$__name];
                    }
                }
                unset($__name);
                include \Provhost\Shim::$templateFile;
            })();
            $out = ob_get_contents();
        } finally {
            while (ob_get_level() > $level) {
                ob_end_clean();
            }
        }
        if (strlen($out) > self::OUTPUT_LIMIT) {
            self::fail(sprintf('templates/%s.tpl produced more than %d bytes of output (%d)',
                $name, self::OUTPUT_LIMIT, strlen($out)));
        }
        return $out;
    }

    // ----- late expansion of phone_types options -----

    /**
     * Evaluate every option expression with the options themselves, $IDENT and $MAC as
     * variables, recomputing from the raw expressions until a pass changes nothing.
     */
    public static function expand(array $expressions, string $ident, string $mac): array
    {
        $values = array_fill_keys(array_keys($expressions), null);
        $passes = max(self::EXPAND_MAX_PASSES, count($expressions) + 2);
        for ($pass = 0; $pass < $passes; $pass++) {
            $next = [];
            foreach ($expressions as $name => $expr) {
                $scope = $values;
                $scope['IDENT'] = $ident;
                $scope['MAC'] = $mac;
                try {
                    $next[$name] = (string)self::evaluate((string)$expr, $scope);
                } catch (\Throwable $e) {
                    throw new ApiException("option $name: " . self::mapMessage($e->getMessage()));
                }
            }
            if ($next === $values) {
                return $next;
            }
            $values = $next;
        }
        throw new ApiException('circular reference among options: '
            . implode(', ', array_keys($expressions)));
    }

    private static function evaluate(string $__expr, array $__scope): mixed
    {
        return (static function () use ($__expr, $__scope) {
            extract($__scope, EXTR_SKIP);
            unset($__scope);
            return eval('return ' . $__expr . ';');
        })();
    }

    // ----- firmware slots -----

    public static function phoneFirmwareOption(): array
    {
        $fw = self::$typeOptions['FW'] ?? null;
        $ident = $GLOBALS['IDENT'] ?? null;
        $types = $GLOBALS['PHONE_TYPES'] ?? [];
        if ($fw === null && $ident !== null && isset($types[$ident])) {
            $t = $types[$ident];
            $fw = $t['FW'] ?? $t['OPTIONS']['FW'] ?? $t['options']['FW'] ?? null;
        }
        $fw ??= $GLOBALS['FW'] ?? '';
        return array_values(array_filter(array_map('trim', explode(',', (string)$fw)),
            fn($s) => $s !== ''));
    }
}

/** A phone connection as a PHP stream; every operation is a broker call. */
final class ConnStream
{
    public $context;
    private int $id = 0;
    private bool $eof = false;

    public function stream_open(string $path, string $mode, int $options, ?string &$opened): bool
    {
        if (!preg_match('~^provhost-conn://(\d+)$~', $path, $m)) {
            return false;
        }
        $this->id = (int)$m[1];
        return true;
    }

    public function stream_read(int $count): string|false
    {
        $data = Shim::call('connRead', [$this->id, $count]);
        if ($data === null || $data === '') {
            $this->eof = true;
            return '';
        }
        return (string)$data;
    }

    public function stream_write(string $data): int
    {
        return (int)Shim::call('connWrite', [$this->id, $data]);
    }

    public function stream_eof(): bool
    {
        return $this->eof;
    }

    public function stream_close(): void
    {
        if (!Shim::$done) {
            Shim::call('connClose', [$this->id]);
        }
    }

    public function stream_flush(): bool
    {
        return true;
    }

    public function stream_set_option(int $option, int $arg1, ?int $arg2): bool
    {
        return false;
    }

    public function stream_stat(): array|false
    {
        return [];
    }
}

/** A socket_create() socket: a connectPhone() connection opened on first use. */
final class PhoneSocket
{
    public static int $lastError = 0;
    public $stream = null;
    public ?int $id = null;
    private ?array $peerAddr = null;

    public function __construct(public readonly string $proto) {}

    /** The PhoneSocket for a socket_* argument: ours, or a connectPhone() stream. */
    public static function of($socket): ?self
    {
        if ($socket instanceof self) {
            return $socket;
        }
        if (is_resource($socket)) {
            $s = new self('tcp');
            $s->stream = $socket;
            $meta = stream_get_meta_data($socket);
            if (preg_match('~^provhost-conn://(\d+)$~', (string)($meta['uri'] ?? ''), $m)) {
                $s->id = (int)$m[1];
            }
            return $s;
        }
        return null;
    }

    public function open(string $address, int $port): bool
    {
        $phone = (string)($GLOBALS['LAST_IP'] ?? '');
        if ($address !== '' && $phone !== '' && $address !== $phone) {
            self::$lastError = 111;
            trigger_error("socket: a resync script reaches only its phone ($phone), not "
                . $address, E_USER_WARNING);
            return false;
        }
        if ($this->stream !== null) {
            return true;
        }
        try {
            $this->stream = \connectPhone($this->proto, $port);
        } catch (\Throwable $e) {
            self::$lastError = 111;
            trigger_error($e->getMessage(), E_USER_WARNING);
            return false;
        }
        $meta = stream_get_meta_data($this->stream);
        preg_match('~^provhost-conn://(\d+)$~', (string)($meta['uri'] ?? ''), $m);
        $this->id = isset($m[1]) ? (int)$m[1] : null;
        return true;
    }

    /** [address, port] of the phone end. */
    public function peer(): array
    {
        if ($this->peerAddr === null && $this->id !== null) {
            $this->peerAddr = Shim::call('connInfo', [$this->id])['peer'];
        }
        return $this->peerAddr ?? ['', 0];
    }

    public function close(): void
    {
        if (is_resource($this->stream)) {
            fclose($this->stream);
        }
        $this->stream = null;
    }
}

}  // namespace Provhost

namespace {

use Provhost\ApiException;
use Provhost\Shim;

// ----- output functions: each ends the script -----

function passNext(): never
{
    Shim::send(['action' => 'pass']);
}

function sendTemplate(string $name): never
{
    $body = Shim::renderTemplate($name);
    Shim::send(['action' => 'template', 'body' => $body]);
}

function sendStaticFile(string $relpath): never
{
    $path = Shim::modulePath($relpath);
    if (!is_file($path)) {
        throw new ApiException("sendStaticFile(): no such file in the module: "
            . Shim::relative($relpath, 'sendStaticFile()'));
    }
    Shim::send(['action' => 'file', 'file' => $path]);
}

function sendFile(string $path): never
{
    Shim::send(['action' => 'file', 'file' => $path]);
}

function sendNotFound(): never
{
    Shim::send(['action' => 'notfound']);
}

function sendOk(): never
{
    Shim::send(['action' => 'ok']);
}

/**
 * Store the uploaded file of this request ($UPLOAD is true) for the phone $mac, under
 * $name (default: the last component of $PATH).  The host checks the phone exists, the
 * name and the size; the phone gets a success or a clear refusal.
 */
function acceptUpload(string $mac, ?string $name = null): never
{
    if (empty($GLOBALS['UPLOAD'])) {
        throw new ApiException('acceptUpload(): this request carries no upload');
    }
    $name ??= basename((string)($GLOBALS['PATH'] ?? ''));
    Shim::send(['action' => 'upload', 'body' => $mac, 'file' => $name]);
}

/**
 * (provhost) Send back a file the phone associated in this request uploaded earlier
 * (acceptUpload), by its stored name: Polycom phones read their <mac>-phone.cfg,
 * <mac>-web.cfg and <mac>-directory.xml back at boot.  "Not found" when there is none.
 * Call associatePhone() first: only that phone's files, and only when the request may
 * have that phone's configuration (provisioning credentials), are served.
 */
function sendUpload(string $name): never
{
    Shim::send(['action' => 'sendupload', 'file' => $name]);
}

// ----- capabilities brokered by the host -----

function associatePhone(string $mac, string $type): bool
{
    $vars = Shim::call('associatePhone', [$mac, $type]);
    if (!is_array($vars)) {
        throw new ApiException('associatePhone(): the host returned no phone configuration');
    }
    $typeOptions = $vars['TYPE_OPTIONS'] ?? null;
    unset($vars['TYPE_OPTIONS']);
    foreach ($vars as $name => $value) {
        if (is_string($name) && $name !== 'GLOBALS') {
            $GLOBALS[$name] = $value;
        }
    }
    if (is_array($typeOptions)) {
        $values = Shim::expand($typeOptions, (string)($vars['IDENT'] ?? $type),
            (string)($vars['MAC'] ?? $mac));
        Shim::$typeOptions = $values;
        foreach ($values as $name => $value) {
            $GLOBALS[$name] = $value;
        }
    }
    return true;
}

function setMarker(string $name, mixed $value): void
{
    Shim::call('setMarker', [$name, $value]);
}

/**
 * Kerio's module persistent globals: later runs of this module's provider and resync
 * scripts see $name as a global (null deletes it).  Stored by the host, per module.
 */
function setModuleVar(string $name, mixed $value): void
{
    Shim::call('setModuleVar', [$name, $value]);
    if ($value === null) {
        unset($GLOBALS[$name]);
    } else {
        $GLOBALS[$name] = $value;
    }
}

/**
 * As Kerio's: a read handle on the phone's answer.  A failure (refused, unreachable, a
 * timeout) behaves as PHP's fopen() does for a script that checks the return value: false
 * and a warning, not an uncaught exception.
 */
function urlopenPhone(string $scheme, string $path, array $options = [])
{
    try {
        $body = Shim::call('urlopenPhone', [$scheme, $path, $options]);
    } catch (\Provhost\BrokerException $e) {
        trigger_error($e->getMessage(), E_USER_WARNING);
        return false;
    }
    $fh = fopen('php://memory', 'w+b');
    fwrite($fh, is_string($body) ? $body : '');
    rewind($fh);
    return $fh;
}

function connectPhone(string $proto, int $port)
{
    $id = Shim::call('connectPhone', [$proto, $port]);
    if (!is_int($id)) {
        throw new ApiException('connectPhone(): the host returned no connection');
    }
    $fh = fopen("provhost-conn://$id", 'r+b');
    stream_set_read_buffer($fh, 0);
    stream_set_write_buffer($fh, 0);
    return $fh;
}

// ----- firmware slots, computed from $FIRMWARE_TYPES -----

function phoneFirmwares(?string $kind = null, bool $nonEmpty = false): array
{
    $types = $GLOBALS['FIRMWARE_TYPES'] ?? [];
    $out = [];
    foreach (Shim::phoneFirmwareOption() as $slot) {
        if (!isset($types[$slot])) {
            continue;
        }
        if ($kind !== null && ($types[$slot]['TYPE'] ?? null) !== $kind) {
            continue;
        }
        if ($nonEmpty && empty($types[$slot]['FW_CONTENT_ID'])) {
            continue;
        }
        $out[] = $slot;
    }
    return $out;
}

function haveFirmware(string $slot): bool
{
    return !empty($GLOBALS['FIRMWARE_TYPES'][$slot]['FW_CONTENT_ID']);
}

function getFirmwareFile(string $slot, string $file): string
{
    Shim::relative($slot, 'getFirmwareFile() slot');
    if (str_contains($slot, '/')) {
        throw new ApiException("getFirmwareFile(): invalid slot '$slot'");
    }
    return "/firmware/$slot/" . Shim::relative($file, 'getFirmwareFile()');
}

// ----- dialplans -----

function dialplanSimplifyOnedigit(array $data): array
{
    $groups = [];  // "k<char>" => [char, max]; string keys keep first-appearance order
    foreach ($data as $entry) {
        [$prefix, $max] = array_values($entry) + [null, null];
        $prefix = (string)$prefix;
        if ($prefix === '') {
            continue;
        }
        $max = (int)$max;
        $first = $prefix[0];
        $len = $max < 0 ? -1 : strlen($prefix) - 1 + $max;
        $key = "k$first";
        if (!isset($groups[$key])) {
            $groups[$key] = [$first, $len];
        } elseif ($groups[$key][1] !== -1) {
            $groups[$key][1] = $len === -1 ? -1 : max($groups[$key][1], $len);
        }
    }
    return array_values($groups);
}

// ----- socket_* over connectPhone() (ext/sockets is not loaded in the sandbox) -----
//
// Kerio's own SIPNOTIFY was written on PHP's sockets API, so resync scripts use it.  A socket
// here is a connection the host opens to the phone's own address: socket_create() makes one
// unconnected, socket_connect()/socket_sendto() open it (any address but the phone's is
// refused with a warning), socket_select() and socket_getsockname() ask the host.

if (!function_exists('socket_create')) {
    foreach (['AF_INET' => 2, 'AF_INET6' => 10, 'SOCK_STREAM' => 1, 'SOCK_DGRAM' => 2,
              'SOL_TCP' => 6, 'SOL_UDP' => 17, 'SOL_SOCKET' => 1, 'SO_RCVTIMEO' => 20,
              'SO_SNDTIMEO' => 21, 'SO_REUSEADDR' => 2, 'MSG_DONTWAIT' => 0x40,
              'MSG_WAITALL' => 0x100, 'MSG_PEEK' => 2, 'PHP_BINARY_READ' => 2,
              'PHP_NORMAL_READ' => 1] as $const => $value) {
        if (!defined($const)) {
            define($const, $value);
        }
    }

    function socket_create(int $domain, int $type, int $protocol): \Provhost\PhoneSocket|false
    {
        if (!in_array($type, [SOCK_STREAM, SOCK_DGRAM], true)) {
            trigger_error('socket_create(): only SOCK_STREAM and SOCK_DGRAM', E_USER_WARNING);
            return false;
        }
        return new \Provhost\PhoneSocket($type === SOCK_DGRAM ? 'udp' : 'tcp');
    }

    function socket_connect($socket, string $address, ?int $port = null): bool
    {
        return \Provhost\PhoneSocket::of($socket)?->open($address, (int)$port) ?? false;
    }

    function socket_bind($socket, string $address, int $port = 0): bool
    {
        return true;  // the host picks the local address and port
    }

    function socket_sendto($socket, string $data, int $length, int $flags, string $address,
                           ?int $port = null): int|false
    {
        $s = \Provhost\PhoneSocket::of($socket);
        if ($s === null || !$s->open($address, (int)$port)) {
            return false;
        }
        return fwrite($s->stream, substr($data, 0, $length));
    }

    function socket_recvfrom($socket, ?string &$data, int $length, int $flags, ?string &$address,
                             ?int &$port = null): int|false
    {
        $s = \Provhost\PhoneSocket::of($socket);
        if ($s === null || $s->stream === null) {
            return false;
        }
        $read = fread($s->stream, max(1, $length));
        if ($read === false || $read === '') {
            return false;
        }
        $data = $read;
        [$address, $port] = $s->peer();
        return strlen($read);
    }

    function socket_getsockname($socket, ?string &$address, ?int &$port = null): bool
    {
        $s = \Provhost\PhoneSocket::of($socket);
        if ($s === null || $s->id === null) {
            return false;
        }
        $info = Shim::call('connInfo', [$s->id]);
        [$address, $port] = $info['local'];
        return true;
    }

    function socket_getpeername($socket, ?string &$address, ?int &$port = null): bool
    {
        $s = \Provhost\PhoneSocket::of($socket);
        if ($s === null || $s->id === null) {
            return false;
        }
        [$address, $port] = $s->peer();
        return true;
    }

    function socket_select(?array &$read, ?array &$write, ?array &$except, ?int $seconds,
                           int $microseconds = 0): int|false
    {
        $ids = [];
        foreach ($read ?? [] as $key => $socket) {
            $s = \Provhost\PhoneSocket::of($socket);
            if ($s !== null && $s->id !== null) {
                $ids[$key] = $s->id;
            }
        }
        $timeout = $seconds === null ? 10 : $seconds + $microseconds / 1e6;
        $ready = $ids ? (array)Shim::call('connPoll', [array_values($ids), $timeout]) : [];
        $read = array_filter($read ?? [], fn($socket, $key) => isset($ids[$key])
            && in_array($ids[$key], $ready, true), ARRAY_FILTER_USE_BOTH);
        $except = [];
        return count($read) + count($write ?? []);
    }

    function socket_send($socket, string $data, int $length, int $flags = 0): int|false
    {
        $s = \Provhost\PhoneSocket::of($socket);
        return $s?->stream === null ? false : fwrite($s->stream, substr($data, 0, $length));
    }

    function socket_write($socket, string $data, ?int $length = null): int|false
    {
        $s = \Provhost\PhoneSocket::of($socket);
        return $s?->stream === null ? false
            : fwrite($s->stream, $length === null ? $data : substr($data, 0, $length));
    }

    function socket_recv($socket, ?string &$data, int $length, int $flags = 0): int|false
    {
        $s = \Provhost\PhoneSocket::of($socket);
        if ($s?->stream === null) {
            return false;
        }
        $read = fread($s->stream, max(1, $length));
        $data = ($read === false || $read === '') ? null : $read;
        return $read === false ? false : strlen($read);
    }

    function socket_read($socket, int $length, int $mode = PHP_BINARY_READ): string|false
    {
        $s = \Provhost\PhoneSocket::of($socket);
        return $s?->stream === null ? false : fread($s->stream, max(1, $length));
    }

    function socket_close($socket): void
    {
        \Provhost\PhoneSocket::of($socket)?->close();
    }

    function socket_set_option($socket, int $level, int $option, mixed $value): bool
    {
        return true;
    }

    function socket_set_nonblock($socket): bool
    {
        return true;
    }

    function socket_set_block($socket): bool
    {
        return true;
    }

    function socket_last_error($socket = null): int
    {
        return \Provhost\PhoneSocket::$lastError;
    }

    function socket_clear_error($socket = null): void
    {
        \Provhost\PhoneSocket::$lastError = 0;
    }

    function socket_strerror(int $error): string
    {
        return $error === 0 ? 'Success' : 'Connection refused';
    }
}

}  // namespace
