# Firmware preprocessing for the SPA 30x/50x slot (firmware_types: fw_spa30x_50x).
#
# Cisco publishes one firmware image for all SPA 30x and 50x models (a .bin file), usually
# inside a .zip download.  The image's header is not documented, so this only catches the
# usual mistakes: an empty file, the .zip itself (we unpack the one .bin it holds), a
# Windows .exe or other executable, a text or HTML page, a picture, and a size outside a
# deliberately wide 1-32 MiB window (a guess; the administrator can override it).
# FW_VERIFY=0 (the administrator overrides the check) skips everything but the empty file.
# Output: firmware.bin, served to the phones through Upgrade_Rule.

set -o pipefail
image=$FW_INFILE

[ -s "$image" ] || reject_firmware "the file is empty"

magic=$(od -An -tx1 -N4 "$image" | tr -d ' \n')
if [ "$magic" = 504b0304 ]; then
    # a Cisco download: take the one .bin inside it
    names=$(unzip -Z1 "$image" 2>/dev/null | grep -i '\.bin$' | grep -v '/$')
    count=$(printf '%s' "$names" | grep -c .)
    [ "$count" = 1 ] \
        || reject_firmware "the .zip holds $count .bin files; expected exactly one firmware image"
    unzip -p "$image" "$names" > _tmp/firmware.bin 2>/dev/null \
        || reject_firmware "cannot unpack $names from the .zip"
    image=_tmp/firmware.bin
    magic=$(od -An -tx1 -N4 "$image" | tr -d ' \n')
fi

if [ "${FW_VERIFY:-1}" != 0 ]; then
    size=$(stat -c %s "$image")
    case $magic in
      4d5a*)     reject_firmware "this is a Windows program (.exe), not the .bin firmware image" ;;
      7f454c46)  reject_firmware "this is a Linux executable, not the .bin firmware image" ;;
      89504e47|ffd8ff*|47494638|424d*)
                 reject_firmware "this is a picture: upload it to a logo slot instead" ;;
      3c*|efbbbf3c)
                 reject_firmware "this is an HTML or XML page, not a firmware image" ;;
    esac
    if [ "$(head -c 4096 "$image" | tr -d '\t\n\r\040-\176' | wc -c)" = 0 ]; then
        reject_firmware "this is a text file, not a firmware image"
    fi
    [ "$size" -ge 1048576 ] \
        || reject_firmware "$size bytes is too small for SPA 30x/50x firmware (4-12 MiB expected)"
    [ "$size" -le 33554432 ] \
        || reject_firmware "$size bytes is too large for SPA 30x/50x firmware (4-12 MiB expected)"
fi

cp "$image" firmware.bin || reject_firmware "cannot store the image"
accept_firmware
