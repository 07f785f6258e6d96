# Firmware preprocessing for the N870 slot (firmware_types: fw_n870).
#
# The base needs the image's version next to its URL; Gigaset publishes no header layout
# for the image, but names every update "einstein-albert-V<version>+build.<id>.update.bin",
# so the version comes from the upload's file name ($FW_INFILE keeps it; "+" arrives as "_").
# Checks: not empty, a version in the name, not a .zip/.exe/ELF/picture/text page (unless
# FW_VERIFY=0, the administrator's override).  Output: firmware.bin and version.txt.

set -o pipefail
image=$FW_INFILE
[ -s "$image" ] || reject_firmware "the file is empty"

version=$(basename "$image" | sed -n 's/.*[-_.][Vv]\([0-9][0-9]*\(\.[0-9][0-9]*\)\{1,3\}\)\([-_+.].*\)\{0,1\}$/\1/p')
[ -n "$version" ] || reject_firmware "no version in the file name: keep Gigaset's name, e.g. einstein-albert-V2.48.1+build.4b0c4a8.update.bin"

if [ "${FW_VERIFY:-1}" != 0 ]; then
    magic=$(od -An -tx1 -N4 "$image" | tr -d ' \n')
    case $magic in
      504b0304)  reject_firmware "this is a .zip: upload the .update.bin image inside it" ;;
      4d5a*)     reject_firmware "this is a Windows program (.exe), not the firmware image" ;;
      7f454c46)  reject_firmware "this is a Linux executable, not the firmware image" ;;
      89504e47|ffd8ff*|47494638|424d*)
                 reject_firmware "this is a picture, not the firmware image" ;;
      3c*|efbbbf3c)
                 reject_firmware "this is an HTML or XML page, not the firmware image" ;;
    esac
fi

cp "$image" firmware.bin || reject_firmware "cannot copy the image"
printf '%s' "$version" > version.txt
accept_firmware
