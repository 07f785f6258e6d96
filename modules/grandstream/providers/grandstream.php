<?php
// Grandstream provider.
//
// File names (Grandstream "SIP Device Provisioning Guide", "Provisioning Flow"): the
// device asks for cfg<mac> (binary), cfg<mac>.xml, cfg<model>.xml and cfg.xml, MAC in
// lower case.  cfg<mac> and cfg<mac>.xml are spelled the same way by other vendors'
// servers, so we answer them only on positive evidence that a Grandstream asks:
//   1. the HTTP User-Agent: "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82..."
//      (also "... HW GXP2140 V2.1A SW ..."); it names the model;
//   2. a model announcement from this address: cfg<model>.xml sets the marker gs_model;
//   3. the MAC's vendor prefix (IEEE OUI registered to Grandstream Networks: 00:0B:82,
//      C0:74:AD, EC:74:D7): a TFTP request carries no User-Agent.
// Without evidence: passNext(), so that another module can take the name.  A marker is
// no evidence when another vendor also announced itself from this address (phones of
// several vendors behind one NAT address): then only the User-Agent or the prefix count.
// An HTTP request with another User-Agent is never ours (Grandstreams always send theirs).

// OUIs registered to Grandstream Networks, Inc. (IEEE MA-L registry).
const GS_OUIS = array('000b82', 'c074ad', 'ec74d7');

// Markers are the globals whose names are not all upper case (docs/module-api.md); take
// the list before this script defines any variable of its own.
$foreignMarkers = otherMarkers(array_keys(get_defined_vars()), array('gs_model', 'gs_mac'));

$uaModel = null;
if (preg_match('~^Grandstream Model HW ([A-Za-z]+[0-9]+[A-Za-z]*)~', $USER_AGENT, $m)) {
    $uaModel = strtolower($m[1]);
}
$isGrandstreamUa = strncmp($USER_AGENT, 'Grandstream', 11) === 0;

// cfg<model>.xml: the model announcement (newer firmware, after cfg<mac>.xml).  The
// per-device configuration lives in the MAC file; this one is "not found", but the model
// is remembered for this address, and when the MAC file was just answered with the
// generic type (TFTP, no User-Agent) the phone is re-associated with its real type.
if (preg_match('~^/cfg((?:gxp|grp|gxv|dp|ht|wp|gac|gsc|gxw)[0-9]+[a-z]*)\.xml$~i', $PATH, $m)) {
    $model = strtolower($m[1]);
    setMarker('gs_model', $model);
    if (isset($gs_mac) && preg_match('~^[0-9a-f]{12}$~', $gs_mac)) {
        associatePhone($gs_mac, gsType($model, $PHONE_TYPES));
    }
    sendNotFound();
}

// cfg<mac>, cfg<mac>.bin (the binary format) and cfg<mac>.xml
if (preg_match('~^/cfg([0-9a-f]{12})(\.xml|\.bin)?$~i', $PATH, $m)) {
    $mac = strtolower($m[1]);
    $ownPrefix = in_array(substr($mac, 0, 6), GS_OUIS, true);
    if ($USER_AGENT !== '' && !$isGrandstreamUa) {
        passNext();
    }
    $marker = isset($gs_model) && !$foreignMarkers ? $gs_model : null;
    $model = $uaModel ?? ($ownPrefix && isset($gs_model) ? $gs_model : $marker);
    if (!$isGrandstreamUa && !$ownPrefix && $marker === null) {
        passNext();
    }
    if (strtolower($m[2] ?? '') !== '.xml') {
        sendNotFound();    // the legacy binary file: we only write XML
    }
    $type = $model !== null ? gsType($model, $PHONE_TYPES) : 'gs_generic';
    associatePhone($mac, $type);
    if ($type === 'gs_generic' && $model === null) {
        setMarker('gs_mac', $mac);  // the model file that follows names the real type
    }
    sendTemplate('grandstream');
}

// cfg.xml: the generic file, asked for when the MAC file failed.  Nothing generic to add
// for a device we know; for anyone else the name is not ours.
if (strtolower($PATH) === '/cfg.xml' && ($isGrandstreamUa || isset($gs_model))) {
    sendNotFound();
}

passNext();

/** The phone type for a model name such as "gxp2170", "dp750", "ht802" or "gxv3370". */
function gsType($model, $types) {
    $ident = 'gs_' . preg_replace('~[^a-z0-9]~', '', strtolower($model));
    if (isset($types[$ident])) {
        return $ident;
    }
    // variants with a suffix (GXP2140 "V2", HT802 "V2", GRP2612W, GRP2612P, WP820W ...)
    $base = preg_replace('~^(gs_[a-z]+[0-9]+).*$~', '$1', $ident);
    return isset($types[$base]) ? $base : 'gs_generic';
}

/** Marker names set by other modules: not all upper case, not in $ours.  PHP's argv/argc
 *  two loop variables the sandbox's own start-up code leaves in the global scope (const,
 *  value) and the dialplans ($DIALPLAN_<name>) are no markers. */
function otherMarkers($names, $ours) {
    $other = array();
    foreach ($names as $name) {
        if ($name !== strtoupper($name) && !in_array($name, $ours, true)
                && strncmp($name, 'DIALPLAN_', 9) !== 0
                && !in_array($name, array('argv', 'argc', 'const', 'value'), true)) {
            $other[] = $name;
        }
    }
    return $other;
}
