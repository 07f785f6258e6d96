# Firmware preprocessing for every Yealink slot (firmware_types: SCRIPT=yealink_rom).
#
# Yealink ships .rom images, usually inside a .zip with release notes.  The .rom header is
# not documented, so this catches the usual mistakes: an empty file, the .zip itself (we
# unpack the one .rom it holds), a Windows or Linux executable, an HTML or text page, a
# picture, and a size outside a deliberately wide 1-256 MiB window (a guess; the
# administrator can override it with FW_VERIFY=0).  Output: firmware.rom.

set -o pipefail
image=$FW_INFILE

[ -s "$image" ] || reject_firmware "the file is empty"

magic=$(od -An -tx1 -N4 "$image" | tr -d ' \n')
if [ "$magic" = 504b0304 ]; then
    names=$(unzip -Z1 "$image" 2>/dev/null | grep -i '\.rom$' | grep -v '/$')
    count=$(printf '%s' "$names" | grep -c .)
    [ "$count" = 1 ] \
        || reject_firmware "the .zip holds $count .rom files; expected exactly one firmware image"
    unzip -p "$image" "$names" > _tmp/firmware.rom 2>/dev/null \
        || reject_firmware "cannot unpack $names from the .zip"
    image=_tmp/firmware.rom
    magic=$(od -An -tx1 -N4 "$image" | tr -d ' \n')
fi

if [ "${FW_VERIFY:-1}" != 0 ]; then
    size=$(stat -c %s "$image")
    case $magic in
      4d5a*)     reject_firmware "this is a Windows program (.exe), not the .rom firmware image" ;;
      7f454c46)  reject_firmware "this is a Linux executable, not the .rom firmware image" ;;
      89504e47|ffd8ff*|47494638|424d*)
                 reject_firmware "this is a picture, not a firmware image" ;;
      3c*|efbbbf3c)
                 reject_firmware "this is an HTML or XML page, not a firmware image" ;;
    esac
    if [ "$(head -c 4096 "$image" | tr -d '\t\n\r\040-\176' | wc -c)" = 0 ]; then
        reject_firmware "this is a text file, not a firmware image"
    fi
    [ "$size" -ge 1048576 ] \
        || reject_firmware "$size bytes is too small for Yealink firmware (tens of MiB expected)"
    [ "$size" -le 268435456 ] \
        || reject_firmware "$size bytes is too large for Yealink firmware"
fi

cp "$image" firmware.rom || reject_firmware "cannot store the image"
accept_firmware
