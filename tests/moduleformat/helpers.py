"""Shared helpers for the module-format tests: real PHP runs and module trees on disk."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

PHP = "/usr/bin/php8.2"


def run_php(script: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run a PHP file with errors on stderr (so stdout is exactly what the script printed)."""
    return subprocess.run(
        [PHP, "-n", "-d", "display_errors=stderr", "-d", "error_reporting=E_ALL",
         "-d", "log_errors=0", str(script)],
        capture_output=True, text=True, timeout=timeout,
    )


def render_many(tmp: Path, compiled: list[str], prelude: str = "") -> list[bytes]:
    """Include each compiled template in one PHP process; return each one's output."""
    files = []
    for i, source in enumerate(compiled):
        path = tmp / f"tpl_{i}.php"
        path.write_bytes(source.encode("utf-8", errors="surrogateescape"))
        files.append(str(path))
    runner = tmp / "runner.php"
    listing = ", ".join("'" + f.replace("\\", "\\\\").replace("'", "\\'") + "'" for f in files)
    runner.write_text(
        "<?php " + prelude + "\n"
        f"foreach ([{listing}] as $__f) {{ ob_start(); include $__f; "
        "echo base64_encode(ob_get_clean()), \"\\n\"; }\n"
    )
    result = run_php(runner)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(files), result.stdout + result.stderr
    return [base64.b64decode(line) for line in lines]


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


GOOD_MODULE: dict[str, str | bytes] = {
    "info": "# example module\nid = spa_example\nname = Example SPA\nversion = 0.4.01\n"
            "sequence = 4\ndescription = Cisco SPA example\nauthor = Someone\n",
    "phone_types": (
        "@set RESYNC=SIPNOTIFY SIPNOTIFY_auth=digest DIALPLAN_TYPE=spa\n"
        "spa502g 1 \"Example SPA502G\" FW=logo_bw\n"
        "spa504g 4 \"Example SPA504G\" FW=logo_bw\n"
        "spa525g 4 \"Example SPA525G\" FW=logo_color RESYNC=spa\n"
        "@unset *\n"
        "spa_generic 4 \"Generic SPA\" REVIEW=\"tftp:/Cisco/{strtoupper($IDENT)}/{$MAC}.cfg\"\n"
    ),
    "firmware_types": (
        "@set SCRIPT=logo\n"
        "logo_bw     \"Example SPA b/w logo\"   logo \\\n"
        "            LONGDESC=\"Monochromatic 128x48 logo image\"\n"
        "logo_color  \"Example SPA color logo\" logo \\\n"
        "            LONGDESC=\"Color 320x240 logo image\"\n"
        "@unset SCRIPT\n"
        "spa_fw \"SPA firmware\" firmware\n"
    ),
    "providers/spa.php": "<?php\npassNext();\n",
    "templates/spa_main.tpl": "<flat-profile>\n@ foreach ($LINES as $l) {\n"
                              "<User_ID>{$l['SIP_USERNAME']}</User_ID>\n@ }\n</flat-profile>\n",
    "dialplans/spa.php": "<?php echo '(xx.)';\n",
    "resync/spa.php": "<?php\n",
    "firmware/logo.sh": "accept_firmware\n",
    "firmware/spa_fw.php": "<?php acceptFirmware();\n",
}
