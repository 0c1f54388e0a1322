#!/bin/sh
# Credentials go only where they were given for.  A server that writes down every header
# it gets (tests/e2e/logserver.py, also the HTTP proxy for every other host) is named by
# records' src in every form; with each way of configuring credentials for a real Azurite
# account, azget and azcp must send it no signature, SAS or token.  A copy between two
# Azurite accounts reads SRC with the SAS in AZDEDUP_SRC and writes DST with DST's key.
# And requests to an account-style URL carry signatures that an independent implementation
# of the REST reference accepts, and are not followed through a redirect.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/azurite.sh"
azurite_clean_env

DEVKEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==
SRCKEY=$(printf 'azdsrc-account-key-for-the-tests-only' | base64 | tr -d '\n')
DSTKEY=$(printf 'azddst-account-key-for-the-tests-only' | base64 | tr -d '\n')
ACCTKEY=$(printf 'azdacct-key-known-to-the-logging-server' | base64 | tr -d '\n')
AZURITE_ACCOUNTS="devstoreaccount1:$DEVKEY;azdsrc:$SRCKEY;azddst:$DSTKEY"
export AZURITE_ACCOUNTS
az_start
unset AZURITE_ACCOUNTS
AZH="http://127.0.0.1:$AZ_PORT"

# an account SAS signed with the account's key: sas ACCOUNT KEY EXPIRY PERMS
sas() {
	"$PY" - "$@" <<'PY'
import base64, hashlib, hmac, sys, urllib.parse
acct, key, se, sp = sys.argv[1], base64.b64decode(sys.argv[2]), sys.argv[3], sys.argv[4]
f = dict(sv="2021-08-06", ss="b", srt="sco", sp=sp, se=se, spr="https,http")
sts = "\n".join([acct, sp, "b", "sco", "", se, "", "https,http", "2021-08-06", ""]) + "\n"
f["sig"] = base64.b64encode(hmac.new(key, sts.encode(), hashlib.sha256).digest()).decode()
print(urllib.parse.urlencode(f))
PY
}
# a token of the shape Entra ID issues
TOKEN="eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.dG9rZW4tc2VjcmV0LXh5eg"
DEVSAS=$(sas devstoreaccount1 "$DEVKEY" 2099-01-01T00:00:00Z rwlac)
SRCSAS=$(sas azdsrc "$SRCKEY" 2099-01-01T00:00:00Z rl)

# the listing the logging server gives for azdacct: names that need encoding, one that XML
# cannot carry (U+FFFF, sent percent-encoded as the service does)
cat > "$T/listing.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://azdacct.blob.core.windows.net/" ContainerName="photos"><Blobs><Blob><Name>holiday 2019/café #1.jpg</Name><Properties><Last-Modified>Sat, 01 Jun 2019 10:00:00 GMT</Last-Modified><Etag>"0x8D6E6B6B1C2D3E4"</Etag><Content-Length>5</Content-Length><Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5></Properties></Blob><Blob><Name>100% sure?.png</Name><Properties><Last-Modified>Sat, 01 Jun 2019 10:00:00 GMT</Last-Modified><Etag>"0x8D6E6B6B1C2D3E5"</Etag><Content-Length>5</Content-Length></Properties></Blob><Blob><Name Encoded="true">odd%EF%BF%BF.jpg</Name><Properties><Last-Modified>Sat, 01 Jun 2019 10:00:00 GMT</Last-Modified><Etag>"0x8D6E6B6B1C2D3E6"</Etag><Content-Length>5</Content-Length></Properties></Blob></Blobs><NextMarker /></EnumerationResults>
XML
: > "$T/seen.log"
"$PY" "$TOP/tests/e2e/logserver.py" --port-file "$T/ls.port" --log "$T/seen.log" \
	--account azdacct --key "$ACCTKEY" --listing "$T/listing.xml" 2> "$T/ls.err" &
LS_PID=$!
trap 'kill $LS_PID 2> /dev/null; az_stop; rm -rf "$T"' EXIT
i=0
while [ $i -lt 100 ] && [ ! -s "$T/ls.port" ]; do sleep 0.1; i=$((i + 1)); done
LSPORT=$(cat "$T/ls.port")
LS="127.0.0.1:$LSPORT"

# records whose src names the logging server, path-style (as Azurite's account and as
# the emulator's) and account-style, plain http and https; the others reach it as the proxy
for src in "http://$LS/devstoreaccount1/photos" "http://$LS/azdsrc/photos" \
	"http://localhost:$LSPORT/devstoreaccount1/photos" "https://$LS/devstoreaccount1/photos" \
	"http://azdsrc.blob.core.windows.net/photos" "http://devstoreaccount1.blob.core.windows.net/photos" \
	"https://azdsrc.blob.core.windows.net/photos" "http://evil.example:8080/azdsrc/photos"; do
	# a name of its own each: azcp refuses a second source's copy onto a name it wrote
	n=$((${n:-0} + 1))
	jq -cn --arg src "$src" --arg name "a b $n.jpg" '{name: $name, size: 5, mtime: "2019-06-01T10:00:00Z",
		etag: "0x1", content_md5: "XUFAKrxLKna5cZ2REBfFkg==", src: $src}'
done > "$T/records.ndjson"
export http_proxy="http://$LS" https_proxy="http://$LS" no_proxy="127.0.0.1,localhost"

# one way of configuring credentials: leak NAME VAR=VALUE...; the settings are checked to
# work against Azurite by the command in $VALID first
leak() {
	name=$1
	shift
	: > "$T/seen.log"
	env "$@" sh -c "$VALID" > /dev/null 2> "$T/valid.err"
	check_eq "$name: the credential works against Azurite" "$?" "0"
	: > "$T/seen.log"
	rm -rf "$T/g" "$T/c"
	env "$@" azget -q --retries 0 -d "$T/g" -i "$T/records.ndjson" > /dev/null 2> "$T/get.err"
	env "$@" azcp -q --retries 0 -i "$T/records.ndjson" "$T/c" > /dev/null 2> "$T/cp.err"
	check "$name: the logging server was asked for every record" sh -c \
		"test \$(grep -cE '^(GET|HEAD) .*/photos/a%20b%20[0-9].jpg' '$T/seen.log') -ge 12 && grep -q '^CONNECT ' '$T/seen.log'"
	check "$name: and saw no Authorization header" sh -c "grep -qi '^authorization:' '$T/seen.log'; [ \$? -eq 1 ]"
	check "$name: no SAS" sh -c "grep -q 'sig=' '$T/seen.log'; [ \$? -eq 1 ]"
	check "$name: no token, no key" sh -c "grep -qF -e '$TOKEN' -e 'SharedKey' -e 'Bearer' '$T/seen.log'; [ \$? -eq 1 ]"
	check "$name: and the messages hold no secret" sh -c "grep -qF -e 'sig=' -e '$TOKEN' '$T/get.err' '$T/cp.err'; [ \$? -eq 1 ]"
}

VALID="azls -q '$AZ/none' 2>&1 | grep -q \"container 'none' does not exist\""
leak "AZURE_STORAGE_SAS_TOKEN" AZURE_STORAGE_SAS_TOKEN="$DEVSAS"
leak "AZURE_STORAGE_ACCOUNT + SAS" AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_SAS_TOKEN="$DEVSAS"
leak "AZURE_STORAGE_ACCOUNT + KEY" AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_KEY="$DEVKEY"
leak "a connection string" AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$DEVKEY;BlobEndpoint=$AZ;"
VALID="azls -q '$AZH/azdsrc/none' 2>&1 | grep -q \"container 'none' does not exist\""
leak "another account's key" AZURE_STORAGE_ACCOUNT=azdsrc AZURE_STORAGE_KEY="$SRCKEY"
leak "another account's connection string" AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=azdsrc;AccountKey=$SRCKEY;BlobEndpoint=$AZH/azdsrc;"
# Azurite takes bearer tokens over https only (t0300 checks one works there)
VALID="true"
leak "AZURE_STORAGE_TOKEN" AZURE_STORAGE_TOKEN="$TOKEN"
printf '%s\n' "$TOKEN" > "$T/token"
leak "AZURE_STORAGE_TOKEN_FILE" AZURE_STORAGE_TOKEN_FILE="$T/token"

# the same server, named on the command line, does get them: so the checks above could fail
: > "$T/seen.log"
azls -q --retries 0 "http://$LS/azdacct/photos?$DEVSAS" > /dev/null 2>&1
check "a SAS goes to its own URL, unchanged, after the request's parameters" \
	grep -qxF "GET /azdacct/photos?comp=list&include=metadata&maxresults=5000&restype=container&$DEVSAS" "$T/seen.log"
: > "$T/seen.log"
AZURE_STORAGE_TOKEN="$TOKEN" azls -q --retries 0 "http://$LS/azdacct/photos" > /dev/null 2>&1
check "a bearer token goes to a URL named on this machine" grep -qx "Authorization: Bearer $TOKEN" "$T/seen.log"
check "with a service version that takes tokens (2017-11-09 or later)" sh -c \
	"grep -i '^x-ms-version:' '$T/seen.log' | awk '{ exit !(\$2 >= \"2017-11-09\") }'"

# --- SRC's SAS and DST's key in one copy, two accounts -------------------------------------
mkdir -p "$T/src"
cp "$PHOTOS/astronaut.jpg" "$T/src/a b.jpg"
cp "$PHOTOS/chelsea.jpg" "$T/src/café #1.jpg"
cp "$PHOTOS/camera.png" "$T/src/camera.png"
azls -q --all "$T/src" | AZURE_STORAGE_ACCOUNT=azdsrc AZURE_STORAGE_KEY="$SRCKEY" azcp -q "$AZH/azdsrc/photos" > /dev/null
check_eq "SRC filled with its own key" "$?" "0"
# the copy stage as pipeline.mk runs it: SRC and DST in the environment, SRC with a SAS
# (read and list, on SRC's account), DST's account key for DST
AZDEDUP_SRC="$AZH/azdsrc/photos?$SRCSAS" azls -q "$AZH/azdsrc/photos?$SRCSAS" > "$T/list.ndjson"
check_eq "SRC listed with its SAS" "$(wc -l < "$T/list.ndjson")" "3"
AZDEDUP_SRC="$AZH/azdsrc/photos?$SRCSAS" AZDEDUP_DST="$AZH/azddst/unique" \
	AZURE_STORAGE_ACCOUNT=azddst AZURE_STORAGE_KEY="$DSTKEY" \
	azcp -i "$T/list.ndjson" "$AZH/azddst/unique" > "$T/copied.ndjson" 2> "$T/err"
check_eq "copy from SRC (its SAS) to DST (its key): exit 0" "$?" "0"
check_eq "every image copied" "$(jq -r .copy "$T/copied.ndjson" | sort | uniq -c | tr -s ' ')" " 3 copied"
check "no secret in the records or messages" sh -c "grep -qF -e 'sig=' -e '$DSTKEY' '$T/copied.ndjson' '$T/err'; [ \$? -eq 1 ]"
AZURE_STORAGE_ACCOUNT=azddst AZURE_STORAGE_KEY="$DSTKEY" azls -q "$AZH/azddst/unique" > "$T/dst.ndjson"
check_eq "DST holds SRC's images, same MD5s" "$(jq -r '"\(.name) \(.content_md5)"' "$T/dst.ndjson" | sort)" \
	"$(jq -r '"\(.name) \(.content_md5)"' "$T/list.ndjson" | sort)"
# the same with SRC's SAS exported again as AZURE_STORAGE_SAS_TOKEN (as pipeline.mk once
# did for the copy stage): it is still SRC's alone, and DST keeps its key
AZDEDUP_SRC="$AZH/azdsrc/photos?$SRCSAS" AZDEDUP_DST="$AZH/azddst/unique3" AZURE_STORAGE_SAS_TOKEN="$SRCSAS" \
	AZURE_STORAGE_ACCOUNT=azddst AZURE_STORAGE_KEY="$DSTKEY" \
	azcp -i "$T/list.ndjson" "$AZH/azddst/unique3" > "$T/copied3.ndjson" 2> "$T/err"
check_eq "and with SRC's SAS in AZURE_STORAGE_SAS_TOKEN too: exit 0" "$?" "0"
check_eq "every image copied" "$(jq -r .copy "$T/copied3.ndjson" | sort | uniq -c | tr -s ' ')" " 3 copied"
# SRC's SAS is not DST's: without SRC's key or SAS the source stays closed
AZDEDUP_DST="$AZH/azddst/unique2" AZURE_STORAGE_ACCOUNT=azddst AZURE_STORAGE_KEY="$DSTKEY" \
	azcp -i "$T/list.ndjson" "$AZH/azddst/unique2" > /dev/null 2> "$T/err"
rc=$?
check "and DST's key does not open SRC" test "$rc" -ne 0

# --- account-style requests, checked by an independent signer -------------------------------
# The logging server plays azdacct.blob.core.windows.net (over plain http, through the
# proxy, named on the command line so that the key may go there) and checks each
# signature with its own implementation of the REST reference.
: > "$T/seen.log"
AZURE_STORAGE_ACCOUNT=azdacct AZURE_STORAGE_KEY="$ACCTKEY" \
	azls --prefix 'holiday 2019/caf' "http://azdacct.blob.core.windows.net/photos" > "$T/acct.ndjson" 2> "$T/err"
check_eq "account-style listing: exit 0" "$?" "0"
check "its signature is good, prefix and all" sh -c \
	"grep -q '^GET http://azdacct.blob.core.windows.net/photos?.*prefix=holiday%202019%2Fcaf' '$T/seen.log' && grep -q '^signature: good' '$T/seen.log' && ! grep -q '^signature: bad' '$T/seen.log'"
check_eq "names decoded from the service's XML" "$(jq -r .name "$T/acct.ndjson" | tr '\n' '|')" \
	"holiday 2019/café #1.jpg|100% sure?.png|odd$(printf '\357\277\277').jpg|"
check_eq "records name the account-style container" "$(jq -r .src "$T/acct.ndjson" | sort -u)" \
	"http://azdacct.blob.core.windows.net/photos"
: > "$T/seen.log"
AZDEDUP_SRC="http://azdacct.blob.core.windows.net/photos" AZURE_STORAGE_ACCOUNT=azdacct \
	AZURE_STORAGE_KEY="$ACCTKEY" azget -q --retries 0 -d "$T/acct-get" -i "$T/acct.ndjson" > /dev/null 2>&1
check "blob requests for awkward names are signed over the path as sent" sh -c \
	"grep -q '^GET http://azdacct.blob.core.windows.net/photos/holiday%202019/caf%C3%A9%20%231.jpg' '$T/seen.log' && grep -q '^GET http://azdacct.blob.core.windows.net/photos/100%25%20sure%3F.png' '$T/seen.log' && test \$(grep -c '^signature: good' '$T/seen.log') -ge 3 && ! grep -q '^signature: bad' '$T/seen.log'"
# a redirect is not followed: the credential would go along to the other host
: > "$T/seen.log"
AZURE_STORAGE_ACCOUNT=azdacct AZURE_STORAGE_KEY="$ACCTKEY" azls -q --retries 0 "http://$LS/azdacct/redirect/x" > /dev/null 2>&1
check "the server answered with a redirect" grep -q '^GET /azdacct/redirect?' "$T/seen.log"
check "which was not followed" sh -c "grep -q '/redirected/' '$T/seen.log'; [ \$? -eq 1 ]"

kill $LS_PID 2> /dev/null
finish
