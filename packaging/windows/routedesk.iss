; Inno Setup 6 script for Routedesk on Windows (x64). Built on Windows; see packaging/RELEASE.md.
;
;   pyinstaller --noconfirm --distpath dist\pyinstaller --workpath build\pyinstaller packaging\pyinstaller\routedesk.spec
;   iscc /DAppVersion=0.1.0 /DVariant=cpu packaging\windows\routedesk.iss
;
; Installs the PyInstaller app folder per machine under Program Files, a Start menu entry and an
; optional desktop icon. Uninstall removes only {app} and the shortcuts: the user's policies and
; log (%LOCALAPPDATA%\routedesk) and keys (Windows Credential Locker) are never touched.
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef Variant
  #define Variant "cpu"
#endif
#define SourceDir "..\..\dist\pyinstaller\routedesk"

[Setup]
; A fixed AppId keeps upgrades in place; never change it.
AppId={{6E0B7E0C-3B8C-4C1E-9D0A-52F2C1D6A7B1}
AppName=Routedesk
AppVersion={#AppVersion}
AppVerName=Routedesk {#AppVersion} ({#Variant})
AppPublisher=Routedesk developers
AppPublisherURL=https://github.com/routedesk/routedesk
DefaultDirName={autopf}\Routedesk
DefaultGroupName=Routedesk
DisableProgramGroupPage=yes
LicenseFile=..\..\resources\licenses\Apache-2.0.txt
InfoAfterFile=..\linux\TARBALL-README.txt
OutputDir=..\..\dist
OutputBaseFilename=routedesk-{#AppVersion}-windows-x64-{#Variant}-setup
SetupIconFile=routedesk.ico
UninstallDisplayIcon={app}\routedesk.exe
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
PrivilegesRequiredOverridesAllowed=dialog
; Code signing (placeholder): configure a SignTool named "routedesk" in the Inno Setup IDE or with
;   iscc /Sroutedesk="signtool sign /fd SHA256 /tr http://timestamp.digicert.com /td SHA256 /a $f"
; then uncomment:
; SignTool=routedesk
; SignedUninstaller=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Routedesk"; Filename: "{app}\routedesk.exe"; WorkingDir: "{userdocs}"
Name: "{group}\Routedesk self-check"; Filename: "{cmd}"; Parameters: "/k ""{app}\routedesk.exe"" self-check"
Name: "{group}\{cm:UninstallProgram,Routedesk}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Routedesk"; Filename: "{app}\routedesk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\routedesk.exe"; Description: "{cm:LaunchProgram,Routedesk}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] entries on purpose: only files the installer wrote are removed.
