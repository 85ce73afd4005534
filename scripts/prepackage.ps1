# azd prepackage hook (Windows): puts the model weights named by the manifest into models/cache/
# so they ship inside the deployment package (MODEL_CACHE_DIR=/home/site/wwwroot/models/cache in
# infra/main.bicep). Same steps as prepackage.sh; a sha256 mismatch stops the deployment.
$ErrorActionPreference = 'Stop'

# Manifest id (models/<id>.json). azd passes its environment values to hooks.
$ModelId = if ($env:CLASSIFIER_MODEL) { $env:CLASSIFIER_MODEL } else { 'mobilenetv2-12-int8' }

$Root = Split-Path -Parent $PSScriptRoot
$Manifest = Join-Path $Root "models/$ModelId.json"
$TargetDir = Join-Path $Root 'models/cache'

function Fail([string]$Message) {
  Write-Error "prepackage: $Message" -ErrorAction Continue
  exit 1
}

if (-not (Test-Path $Manifest)) {
  Fail "no model manifest $Manifest. Set CLASSIFIER_MODEL (azd env set CLASSIFIER_MODEL <id>) to a manifest id under models/."
}
$m = Get-Content -Raw $Manifest | ConvertFrom-Json
foreach ($key in 'file', 'sha256', 'url') {
  if (-not ($m.$key -is [string]) -or $m.$key -eq '') { Fail "manifest $Manifest has no string field `"$key`"." }
}

function Get-Sha256([string]$Path) { (Get-FileHash -Algorithm SHA256 -Path $Path).Hash.ToLowerInvariant() }

$Target = Join-Path $TargetDir $m.file
New-Item -ItemType Directory -Force -Path $TargetDir | Out-Null

if ((Test-Path $Target) -and ((Get-Sha256 $Target) -eq $m.sha256)) {
  Write-Host "prepackage: $Target is present and its sha256 matches."
  exit 0
}

$Tmp = "$Target.download"
Remove-Item -Force -ErrorAction SilentlyContinue $Tmp
$Local = if ($env:MODEL_CACHE_DIR) { Join-Path $env:MODEL_CACHE_DIR $m.file } else { $null }
if ($Local -and (Test-Path $Local)) {
  Write-Host "prepackage: copying $Local"
  Copy-Item $Local $Tmp
} else {
  Write-Host "prepackage: downloading $($m.url)"
  try {
    Invoke-WebRequest -Uri $m.url -OutFile $Tmp -MaximumRetryCount 3 -UseBasicParsing
  } catch {
    Fail "could not download $($m.url): $($_.Exception.Message). Check the network, or put the file in MODEL_CACHE_DIR and run again."
  }
}

$Actual = Get-Sha256 $Tmp
if ($Actual -ne $m.sha256) {
  Remove-Item -Force $Tmp
  Fail "$($m.file) has sha256 $Actual but manifest $Manifest expects $($m.sha256). Nothing was packaged; fix the manifest or the source."
}
Move-Item -Force $Tmp $Target
Write-Host "prepackage: $Target ready (sha256 $($m.sha256))."
