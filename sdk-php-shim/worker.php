<?php
// Entry of every request in a sandboxed worker (see docs/sandbox.md).  Kept free of
// variables: this file's scope is the module script's global scope.
require '/shim/api.php';
require '/shim/compat.php';
include \Provhost\Shim::begin();
\Provhost\Shim::end();
