# Logo preprocessing for both SPA logo slots (firmware_types: SCRIPT=logo).
#
# Accepts any PNM, PNG, GIF, BMP, JPEG or TIFF image and converts it to the one format the
# phone takes for its slot (Cisco "SPA300 Series and SPA500 Series IP Phones Provisioning
# Guide" / SPA525G Administration Guide, "Picture Download URL"):
#   logo_bw     BMP 128x48, 1 bit per pixel        (SPA 50x monochrome LCD)
#   logo_color  BMP 320x240, 24 bits per pixel     (SPA525G colour screen)
# The picture is scaled to fit and centred on a white (b/w) or black (colour) canvas, so
# logos keep their proportions.  Output: logo.bmp, plus _preview.png for the administrator.
#
# The b/w slot uses a fixed mid-grey threshold: pamthreshold's automatic one is undefined
# for a one-colour picture (an all-white logo would come out all black).
# ppmfix sits before every ppmtobmp/pnmtopng: an all-black upload thresholds to a one-colour
# bitmap, which some netpbm tools write (or read) as an invalid PPM.

set -o pipefail

anytoppm "$FW_INFILE" _tmp/upload.ppm 2>/dev/null \
    || reject_firmware "not an image: upload a PNG, JPEG, GIF, BMP, TIFF or PNM picture"

case $FW_IDENT in
  logo_bw)
    pamscale -quiet -xyfit 128 48 < _tmp/upload.ppm \
      | pnmpad -quiet -width=128 -height=48 -halign=0.5 -valign=0.5 -white \
      | ppmtopgm | pamthreshold -quiet -simple -threshold=0.5 | pamtopnm -quiet | ppmfix \
      | ppmtobmp -quiet -bpp=1 > logo.bmp \
      || reject_firmware "converting the picture to a 128x48 1-bit BMP failed"
    ;;
  logo_color)
    pamscale -quiet -xyfit 320 240 < _tmp/upload.ppm \
      | pnmpad -quiet -width=320 -height=240 -halign=0.5 -valign=0.5 -black | ppmfix \
      | ppmtobmp -quiet -bpp=24 > logo.bmp \
      || reject_firmware "converting the picture to a 320x240 BMP failed"
    ;;
  *)
    reject_firmware "logo.sh does not know the slot '$FW_IDENT'"
    ;;
esac

bmptopnm -quiet logo.bmp | ppmfix | pnmtopng -quiet > _preview.png \
    || reject_firmware "making the preview failed"
accept_firmware
