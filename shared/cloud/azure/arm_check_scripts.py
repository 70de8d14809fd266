"""The PowerShell the connection checks run inside the network (on the probe VM), one script per check.

Each script takes its inputs as Run Command parameters (the password as a protected one, never in the text),
writes `ERRORTYPE=<Graph errorType>` and exits 1 when the check fails, so the adapter reports Graph's names.
"""

from __future__ import annotations

# what a Cloud PC must reach, with the errorType Graph reports when one is blocked
ENDPOINTS = (
    ("login.microsoftonline.com", "endpointConnectivityCheckAzureADUrlNotAllowListed"),
    ("enterpriseregistration.windows.net", "endpointConnectivityCheckAzureADUrlNotAllowListed"),
    ("manage.microsoft.com", "endpointConnectivityCheckIntuneUrlNotAllowListed"),
    ("rdweb.wvd.microsoft.com", "endpointConnectivityCheckWVDUrlNotAllowListed"),
    ("rdbroker.wvd.microsoft.com", "endpointConnectivityCheckWVDUrlNotAllowListed"),
    ("www.msftconnecttest.com", "endpointConnectivityCheckUrlNotAllowListed"),
)

DNS_RESOLUTION = r"""param([string]$Domain)
try {
    Resolve-DnsName -Name $Domain -ErrorAction Stop | Out-Null
    Resolve-DnsName -Name "_ldap._tcp.dc._msdcs.$Domain" -Type SRV -ErrorAction Stop | Out-Null
    "resolved $Domain and its domain controllers"
} catch {
    'ERRORTYPE=dnsCheckFqdnNotFound'
    $_.Exception.Message
    exit 1
}
"""

AD_DOMAIN_JOIN = r"""param([string]$Domain, [string]$OrganizationalUnit, [string]$User, [string]$Password)
$path = if ($OrganizationalUnit) { "LDAP://$Domain/$OrganizationalUnit" } else { "LDAP://$Domain" }
$entry = New-Object System.DirectoryServices.DirectoryEntry($path, $User, $Password)
try {
    $null = $entry.NativeObject  # binds with the join account: credentials, domain and OU in one go
    "the join account can reach $path"
} catch {
    $message = $_.Exception.Message
    if ($message -match 'user name or password') { 'ERRORTYPE=adJoinCheckIncorrectCredentials' }
    elseif ($message -match 'no such object') { 'ERRORTYPE=adJoinCheckOrganizationalUnitNotFound' }
    elseif ($message -match 'not operational') { 'ERRORTYPE=adJoinCheckServerNotOperational' }
    elseif ($message -match 'access is denied') { 'ERRORTYPE=adJoinCheckAccessDenied' }
    else { 'ERRORTYPE=adJoinCheckUnknownError' }
    $message
    exit 1
}
"""

ENTRA_DEVICE_SYNC = r"""param([string]$Domain, [string]$User, [string]$Password)
try {
    $root = New-Object System.DirectoryServices.DirectoryEntry("LDAP://$Domain/RootDSE", $User, $Password)
    $config = $root.Properties['configurationNamingContext'][0]
    $scpName = 'CN=62a0ff2e-97b9-4513-943f-0d221bd30080,CN=Device Registration Configuration,CN=Services'
    $scp = New-Object System.DirectoryServices.DirectoryEntry("LDAP://$Domain/$scpName,$config", $User, $Password)
    if (-not (@($scp.Properties['keywords']) -match 'azureADId')) { throw 'the connection point names no tenant' }
    'hybrid join service connection point found'
} catch {
    'ERRORTYPE=azureAdDeviceSyncCheckScpNotConfigured'
    $_.Exception.Message
    exit 1
}
"""


def endpoint_connectivity() -> str:
    lines = ["$failed = $false"]
    for host, error_type in ENDPOINTS:
        lines += [
            f"if (-not (Test-NetConnection -ComputerName '{host}' -Port 443 -InformationLevel Quiet)) {{",
            f"    'ERRORTYPE={error_type}'; 'blocked: {host}'; $failed = $true",
            "}",
        ]
    lines += ["if ($failed) { exit 1 }", "'every endpoint answered on 443'"]
    return "\n".join(lines)
