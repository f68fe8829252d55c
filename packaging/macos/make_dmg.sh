#!/usr/bin/env bash
# Build Routedesk.app and a .dmg on macOS (run on a Mac; see packaging/RELEASE.md).
#
#   bash packaging/macos/make_dmg.sh            # unsigned .app + .dmg under dist/
#   SIGN_IDENTITY="Developer ID Application: NAME (TEAMID)" NOTARY_PROFILE=routedesk \
#       bash packaging/macos/make_dmg.sh        # signed, notarized, stapled
#
# The .app comes from the same PyInstaller spec (its BUNDLE step runs on darwin). Signing and
# notarization are placeholders until the release engineer has a Developer ID; they run only when
# the variables above are set. The user's data (~/Library/Application Support/routedesk) and keys
# (the login Keychain) live outside the .app, so dragging it to the Trash removes neither.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/console/__init__.py")"
VARIANT="${ROUTEDESK_VARIANT:-cpu}"   # macOS builds use Metal when llama-cpp-python was built with it
APP="$ROOT/dist/pyinstaller/Routedesk.app"
DMG="$ROOT/dist/routedesk-$VERSION-macos-$(uname -m)-$VARIANT.dmg"
[[ "$(uname)" == Darwin ]] || { echo "make_dmg: run this on macOS" >&2; exit 1; }

# 1. The icon: resources/routedesk.png -> packaging/macos/routedesk.icns (iconutil ships with macOS).
ICONSET="$ROOT/build/routedesk.iconset"
rm -rf "$ICONSET" && mkdir -p "$ICONSET"
for size in 16 32 128 256 512; do
    sips -z $size $size "$ROOT/resources/routedesk.png" --out "$ICONSET/icon_${size}x${size}.png" >/dev/null
    double=$((size * 2))
    sips -z $double $double "$ROOT/resources/routedesk.png" --out "$ICONSET/icon_${size}x${size}@2x.png" >/dev/null
done
iconutil -c icns "$ICONSET" -o "$ROOT/packaging/macos/routedesk.icns"

# 2. Freeze: onedir + BUNDLE -> dist/pyinstaller/Routedesk.app
ROUTEDESK_VARIANT="$VARIANT" pyinstaller --noconfirm --clean --distpath "$ROOT/dist/pyinstaller" \
    --workpath "$ROOT/build/pyinstaller" "$ROOT/packaging/pyinstaller/routedesk.spec"
"$APP/Contents/MacOS/routedesk" self-check

# 3. Sign (placeholder: needs a Developer ID certificate in the keychain).
if [[ -n "${SIGN_IDENTITY:-}" ]]; then
    codesign --force --deep --options runtime --timestamp \
        --entitlements "$ROOT/packaging/macos/entitlements.plist" --sign "$SIGN_IDENTITY" "$APP"
    codesign --verify --strict --verbose=2 "$APP"
fi

# 4. The disk image: the .app and a link to /Applications to drag it onto.
STAGE="$ROOT/build/dmg"
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Routedesk $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"

# 5. Notarize and staple (placeholder: needs `xcrun notarytool store-credentials routedesk` once).
if [[ -n "${SIGN_IDENTITY:-}" && -n "${NOTARY_PROFILE:-}" ]]; then
    codesign --sign "$SIGN_IDENTITY" --timestamp "$DMG"
    xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose "$DMG"
fi
echo "$DMG ($(du -h "$DMG" | cut -f1))"
