# Firmware preprocessing for the Aastra/Mitel slots (firmware_types: SCRIPT=firmware).
#
# The phones take their firmware as <model>.st from the configuration server's root
# (Aastra Administrator Guide 41-001343-02, "Installing the Firmware/Configuration Files":
# "Copy the firmware file <phone model>.st to the root directory").  Mitel ships it
# alone or inside a .zip holding the .st files of several models: from a .zip we take
# the one named after the slot's model (FW_IDENT fw_6867i -> 6867i.st).  The .st header
# is not documented, so this only catches the usual mistakes: an empty file, another
# model's image, a Windows program, a picture, an HTML page, a text file, and a size
# outside a wide 512 KiB - 256 MiB window.  FW_VERIFY=0 skips all but the empty file.
# Output: firmware.st, served as /<model>.st.

set -o pipefail
image=$FW_INFILE
model=${FW_IDENT#fw_}

[ -s "$image" ] || reject_firmware "the file is empty"

magic=$(od -An -tx1 -N4 "$image" | tr -d ' \n')
if [ "$magic" = 504b0304 ]; then
    name=$(unzip -Z1 "$image" 2>/dev/null | grep -i "\(^\|/\)$model\.st\$" | head -n 1)
    [ -n "$name" ] || reject_firmware "the .zip holds no $model.st"
    unzip -p "$image" "$name" > _tmp/firmware.st 2>/dev/null \
        || reject_firmware "cannot unpack $name from the .zip"
    image=_tmp/firmware.st
    magic=$(od -An -tx1 -N4 "$image" | tr -d ' \n')
fi

if [ "${FW_VERIFY:-1}" != 0 ]; then
    size=$(stat -c %s "$image")
    case $magic in
      4d5a*)     reject_firmware "this is a Windows program (.exe), not the $model.st firmware" ;;
      89504e47|ffd8ff*|47494638|424d*)
                 reject_firmware "this is a picture, not the $model.st firmware" ;;
      3c*|efbbbf3c)
                 reject_firmware "this is an HTML or XML page, not the $model.st firmware" ;;
    esac
    if [ "$(head -c 4096 "$image" | tr -d '\t\n\r\040-\176' | wc -c)" = 0 ]; then
        reject_firmware "this is a text file, not the $model.st firmware"
    fi
    [ "$size" -ge 524288 ] || reject_firmware "$size bytes is too small for $model.st firmware"
    [ "$size" -le 268435456 ] || reject_firmware "$size bytes is too large for $model.st firmware"
fi

cp "$image" firmware.st || reject_firmware "cannot store the image"
accept_firmware
