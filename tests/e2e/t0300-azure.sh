#!/bin/sh
# Azure Blob Storage against a real Azurite: awkward names, paging over thousands of
# blobs, block uploads, conditional copies, credentials refused, the whole pipeline from
# container to container, and runs killed midway.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/azurite.sh"
azurite_clean_env
az_start

md5b64() { openssl md5 -binary "$1" | base64; }
# an account SAS for devstoreaccount1 signed with the emulator's key: sas EXPIRY PERMS
sas() {
	"$PY" - "$1" "$2" <<'PY'
import base64, hashlib, hmac, sys, urllib.parse
key = base64.b64decode("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
se, sp = sys.argv[1], sys.argv[2]
f = dict(sv="2021-08-06", ss="b", srt="sco", sp=sp, se=se, spr="https,http")
sts = "\n".join(["devstoreaccount1", sp, "b", "sco", "", se, "", "https,http", "2021-08-06", ""]) + "\n"
f["sig"] = base64.b64encode(hmac.new(key, sts.encode(), hashlib.sha256).digest()).decode()
print(urllib.parse.urlencode(f))
PY
}

# --- awkward names round-trip -----------------------------------------------------
S="$T/odd"
mkdir -p "$S/holiday 2019" "$S/ünï cødé" "$S/a"
cp "$PHOTOS/astronaut.jpg" "$S/a b.jpg"
cp "$PHOTOS/chelsea.jpg" "$S/holiday 2019/café #1.jpg"
cp "$PHOTOS/camera.png" "$S/100% sure?.png"
cp "$PHOTOS/coffee.webp" "$S/ünï cødé/日本.webp"
cp "$PHOTOS/clock.jpg" "$S/x+y=z&w;.jpg"
cp "$PHOTOS/rocket.jpg" "$S/a/-dash ~'q'.jpg"
cp "$PHOTOS/grass.jpg" "$S/a/%41%2F.jpg"
azls -q --all "$S" | azcp "$AZ/odd" > "$T/odd-up.ndjson" 2> "$T/err"
check_eq "upload of awkward names: exit 0" "$?" "0"
check "upload summary" grep -q '^azcp: 7 copied' "$T/err"
azls -o "$T/odd.ndjson" "$AZ/odd" 2> "$T/err"
check_eq "azls on a container: exit 0" "$?" "0"
check_eq "every awkward name comes back as it was, in byte order" \
	"$(jq -r .name "$T/odd.ndjson" | tr '\n' '|')" \
	"$(cd "$S" && find . -type f | sed 's|^\./||' | sort | tr '\n' '|')"
check_eq "records name the container, without credentials" \
	"$(jq -r .src "$T/odd.ndjson" | sort -u)" "$AZ/odd"
check_eq "content_md5 from the listing is the file's" \
	"$(jq -r 'select(.name=="holiday 2019/café #1.jpg") | .content_md5' "$T/odd.ndjson")" \
	"$(md5b64 "$S/holiday 2019/café #1.jpg")"
check_eq "content_type set from the extension" \
	"$(jq -r 'select(.name=="ünï cødé/日本.webp") | .content_type' "$T/odd.ndjson")" "image/webp"
azget -d "$T/odd-get" -i "$T/odd.ndjson" -o "$T/odd-got.ndjson" 2> "$T/err"
check_eq "azget from a container: exit 0" "$?" "0"
check "downloads are byte-identical" diff -r "$S" "$T/odd-get"
check "no temporaries left" no_files "$T/odd-get" -name '.*'
check_eq "downloads get the blob's time" \
	"$(date -u -r "$T/odd-get/x+y=z&w;.jpg" +%Y-%m-%dT%H:%M:%SZ)" \
	"$(jq -r 'select(.name=="x+y=z&w;.jpg") | .mtime' "$T/odd.ndjson")"
azget -d "$T/odd-get" -i "$T/odd.ndjson" > /dev/null 2> "$T/err"
check "a rerun fetches nothing" grep -q '^azget: 0 fetched, 7 already present' "$T/err"
azls -q "$AZ/odd/holiday%202019" > "$T/sub.ndjson"
check_eq "a folder URL lists names relative to it" "$(jq -r .name "$T/sub.ndjson")" "café #1.jpg"
check_eq "--prefix inside a container" "$(azls -q --prefix 'ünï' "$AZ/odd" | jq -r .name)" "ünï cødé/日本.webp"
AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=$AZ;" \
	azls -q az://odd > "$T/cs.ndjson"
check_eq "az:// with a connection string" "$(wc -l < "$T/cs.ndjson")" "7"

# --- thousands of blobs over many pages ---------------------------------------------
M="$T/many"
for d in 1 2 3; do
	mkdir -p "$M/d$d"
	i=0
	while [ $i -lt 1000 ]; do
		printf 'blob %s %s' $d $i > "$M/d$d/f$i.jpg"
		i=$((i + 1))
	done
done
azls -q --all "$M" | azcp -q -P 32 "$AZ/many" > /dev/null
check_eq "3000 small blobs uploaded" "$?" "0"
AZDEDUP_PAGE_SIZE=700 azls "$AZ/many" > "$T/many.ndjson" 2> "$T/err"
check_eq "listing over 5 pages: every blob once" "$(jq -r .name "$T/many.ndjson" | sort -u | wc -l) $(wc -l < "$T/many.ndjson")" "3000 3000"
check "in byte order" sh -c "jq -r .name '$T/many.ndjson' | sort -c"
check_eq "the default page size gives the same listing" \
	"$(azls -q "$AZ/many" | cksum)" "$(cksum < "$T/many.ndjson")"
check_eq "small pages under a prefix" \
	"$(AZDEDUP_PAGE_SIZE=7 azls -q --prefix d2/f99 "$AZ/many" | jq -r .name | tr '\n' ' ')" \
	"d2/f99.jpg d2/f990.jpg d2/f991.jpg d2/f992.jpg d2/f993.jpg d2/f994.jpg d2/f995.jpg d2/f996.jpg d2/f997.jpg d2/f998.jpg d2/f999.jpg "
check_eq "--shard 0/3 + 1/3 + 2/3 is the whole listing, no overlap" \
	"$(for k in 0 1 2; do azls -q --shard $k/3 "$AZ/many"; done | jq -r .name | sort -u | wc -l) $(for k in 0 1 2; do azls -q --shard $k/3 "$AZ/many"; done | wc -l)" "3000 3000"

# --- a large file goes up in blocks -------------------------------------------------
mkdir -p "$T/big"
seeded_bytes 9437000 300 > "$T/big/big.jpg"
azls -q --all "$T/big" | azcp "$AZ/big" > /dev/null 2> "$T/err"
check_eq "9 MB upload in blocks: exit 0" "$?" "0"
azls -q --all "$AZ/big" > "$T/big.ndjson"
check_eq "its size and MD5 are the file's" "$(jq -r '"\(.size) \(.content_md5)"' "$T/big.ndjson")" \
	"9437000 $(md5b64 "$T/big/big.jpg")"
azget -q -d "$T/big-get" -i "$T/big.ndjson" > /dev/null
check "and it comes back byte-identical" cmp "$T/big/big.jpg" "$T/big-get/big.jpg"

# --- conditional writes ----------------------------------------------------------------
azls -q --all "$S" > "$T/odd-local.ndjson"
azcp -i "$T/odd-local.ndjson" "$AZ/odd" > "$T/again.ndjson" 2> "$T/err"
check_eq "same content again: nothing copied" "$(jq -r .copy "$T/again.ndjson" | sort -u)" "unchanged"
cp "$PHOTOS/hubble.jpg" "$S/a b.jpg"
azls -q --all "$S" > "$T/odd-local.ndjson"
azcp -i "$T/odd-local.ndjson" "$AZ/odd" > /dev/null 2> "$T/err"
check_eq "a different destination blob: exit 1" "$?" "1"
check "named, with the way out" grep -q '^azcp: a b.jpg: destination exists with different content (use --overwrite to replace it)$' "$T/err"
azget -q -d "$T/chk1" -i "$T/odd.ndjson" > /dev/null
check "and the blob is left alone" cmp "$PHOTOS/astronaut.jpg" "$T/chk1/a b.jpg"
azcp -q --overwrite -i "$T/odd-local.ndjson" "$AZ/odd" > /dev/null
azls -q "$AZ/odd" | azget -q -d "$T/chk2" > /dev/null
check "--overwrite replaces it" cmp "$PHOTOS/hubble.jpg" "$T/chk2/a b.jpg"
azls -q "$AZ/odd" | azcp "$AZ/odd-copy" > "$T/sc.ndjson" 2> "$T/err"
check_eq "container to container (server side): exit 0" "$?" "0"
check_eq "every blob copied" "$(jq -r .copy "$T/sc.ndjson" | sort | uniq -c | tr -s ' ')" " 7 copied"
check_eq "copies keep the MD5s" "$(azls -q "$AZ/odd-copy" | jq -r .content_md5 | sort | cksum)" \
	"$(azls -q "$AZ/odd" | jq -r .content_md5 | sort | cksum)"
azls -q "$AZ/odd" | azcp "$AZ/odd-copy" > "$T/sc2.ndjson" 2> /dev/null
check_eq "container to container again: unchanged" "$(jq -r .copy "$T/sc2.ndjson" | sort -u)" "unchanged"

azls -q "$AZ/odd-copy" | azcp "$T/down" > "$T/down.ndjson" 2> /dev/null
check_eq "container to a local folder: every blob copied" "$(jq -r .copy "$T/down.ndjson" | sort -u)" "copied"
check "byte-identical, names intact" diff -r "$S" "$T/down"

# --- credentials refused, containers missing --------------------------------------------
BADKEY=$(printf 'not-the-key-not-the-key-0123' | base64)
AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_KEY=$BADKEY azls -o "$T/bad.ndjson" "$AZ/odd" 2> "$T/err"
check_eq "wrong key: exit 2" "$?" "2"
check_eq "one line" "$(wc -l < "$T/err")" "1"
check "that says access was refused" grep -q '^azls: odd: access refused (HTTP 403' "$T/err"
check "nothing written" test ! -e "$T/bad.ndjson"
check "the key is not shown" sh -c "grep -q '$BADKEY' '$T/err'; [ \$? -eq 1 ]"
AZDEDUP_SRC="$AZ/odd" AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_KEY=$BADKEY azget -d "$T/bad-get" -i "$T/odd.ndjson" > /dev/null 2> "$T/err"
check_eq "azget with a wrong key: exit 2" "$?" "2"
check_eq "azget: nothing fetched, no litter" "$(find "$T/bad-get" -type f | wc -l)" "0"
OLD=$(sas 2020-01-01T00:00:00Z rl)
azls -o "$T/bad.ndjson" "$AZ/odd?$OLD" 2> "$T/err"
check_eq "expired SAS: exit 2" "$?" "2"
check "refused in one line" sh -c "test \$(wc -l < '$T/err') = 1 && grep -q 'access refused' '$T/err'"
check "the signature is not shown" sh -c "grep -q 'sig=' '$T/err'; [ \$? -eq 1 ]"
GOOD=$(sas 2099-01-01T00:00:00Z rwlac)
azls -o "$T/sas.ndjson" "$AZ/odd?$GOOD" 2> "$T/err"
check_eq "a valid SAS in the URL works" "$(wc -l < "$T/sas.ndjson")" "7"
check "records and messages hold no signature" sh -c "grep -q 'sig=' '$T/sas.ndjson' '$T/err'; [ \$? -eq 1 ]"
AZURE_STORAGE_SAS_TOKEN="$GOOD" azls -q "$AZ/odd" > "$T/sas-env.ndjson"
check_eq "a SAS from AZURE_STORAGE_SAS_TOKEN works for the URL on the command line" "$(wc -l < "$T/sas-env.ndjson")" "7"
# the records name SRC without its SAS: azget takes it from AZDEDUP_SRC (as pipeline.mk
# passes it); a wrong key for the account shows that the SAS, not the key, is used
AZDEDUP_SRC="$AZ/odd?$GOOD" AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_KEY=$BADKEY \
	azget -q -d "$T/sas-get" -i "$T/sas.ndjson" > /dev/null
check_eq "a SAS from AZDEDUP_SRC reaches its records" "$(find "$T/sas-get" -type f | wc -l)" "7"
azls "$AZ/nosuch" > "$T/none.ndjson" 2> "$T/err"
check_eq "missing container: exit 2" "$?" "2"
check_eq "says so" "$(cat "$T/err")" "azls: container 'nosuch' does not exist"
sed "s|$AZ/odd|$AZ/gone|" "$T/odd.ndjson" | azget -d "$T/gone" > /dev/null 2> "$T/err"
check_eq "azget from a missing container: exit 2" "$?" "2"

# --- the pipeline, container to container ---------------------------------------------------
"$PY" "$TOP/examples/mkvariants.py" --set demo "$PHOTOS" "$T/var" > /dev/null
azls -q --all "$T/var" | azcp -q "$AZ/photos" > /dev/null
make -s -C "$TOP" -f pipeline.mk SRC="$AZ/photos" DST="$AZ/unique" WORK="$T/wa" Q=-q > "$T/pa.out" 2>&1
check_eq "pipeline from Azurite to Azurite: exit 0" "$?" "0"
make -s -C "$TOP" -f pipeline.mk SRC="$T/var" DST="$T/unique-local" WORK="$T/wl" Q=-q > "$T/pl.out" 2>&1
groups() { jq -c 'select(.type=="group") | [.keeper, ([.members[].name] | sort)]' "$1" | sort; }
check_same "the same groups as from the local folder" "$(groups "$T/wa/report.ndjson")" "$(groups "$T/wl/report.ndjson")"
check_eq "exactly the keepers and uniques arrive" \
	"$(azls -q "$AZ/unique" | jq -r .name | tr '\n' '|')" \
	"$(jq -r 'select(.dup.role=="keeper" or .dup.role=="unique") | .name' "$T/wa/report.ndjson" | sort | tr '\n' '|')"
azls -q "$AZ/unique" | azget -q -d "$T/unique-get" > /dev/null
check "byte-identical to the originals" sh -c "cd '$T/unique-get' && find . -type f | while read -r f; do cmp \"\$f\" '$T/var/'\"\$f\" || exit 1; done"
check "and to the local run's copies" diff -r "$T/unique-get" "$T/unique-local"
make -s -C "$TOP" -f pipeline.mk SRC="$AZ/photos?$GOOD" DST="$AZ/unique-sas" WORK="$T/ws" Q=-q > "$T/ps.out" 2>&1
check_eq "pipeline with a SAS in SRC: exit 0" "$?" "0"
check "the SAS appears nowhere in its output or work files" sh -c "grep -rqs 'sig=' '$T/ps.out' '$T/ws'/*.ndjson; [ \$? -eq 1 ]"
check_same "and copies the same" "$(azls -q "$AZ/unique-sas" | jq -r .name)" "$(azls -q "$AZ/unique" | jq -r .name)"

# --- TLS and a bearer token (Entra ID), against Azurite serving HTTPS with OAuth ----------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 > /dev/null 2>&1
azurite_launch "$T/az-tls" "$T/tls.log" --cert "$T/cert.pem" --key "$T/key.pem" --oauth basic ||
	fail "azurite with TLS did not start: $(cat "$T/tls.log")"
TLS_PID=$AZURITE_PID
trap 'kill $TLS_PID 2> /dev/null; az_stop; rm -rf "$T"' EXIT
AZS="https://127.0.0.1:$AZURITE_PORT/devstoreaccount1"
# a token of the shape Entra ID issues (Azurite checks its claims, not its signature)
jwt() {  # a token valid from now + $1 seconds to now + $2 seconds
	"$PY" - "$1" "$2" <<'PY'
import base64, json, sys, time
b = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
t = int(time.time())
print(b({"alg": "RS256", "typ": "JWT"}) + "." + b({"aud": "https://storage.azure.com",
    "iss": "https://sts.windows.net/ab1f708d-50f6-404c-a006-d71b2ac7a606/",
    "iat": t + int(sys.argv[1]), "nbf": t + int(sys.argv[1]), "exp": t + int(sys.argv[2]),
    "oid": "azdedup-test"}) + ".c2ln")
PY
}
TOKEN=$(jwt -60 3600)
EXPIRED=$(jwt -7200 -3600)
azls -q "$AZS/tok" > /dev/null 2> "$T/err"
check_eq "TLS: an unknown certificate is refused: exit 2" "$?" "2"
check "with the reason" grep -q 'certificate' "$T/err"
AZURE_STORAGE_TOKEN=$TOKEN azcp -q --ca-bundle "$T/cert.pem" "$AZS/tok" < "$T/odd-local.ndjson" > /dev/null 2> "$T/err"
check_eq "a bearer token and --ca-bundle: upload works" "$?" "0"
printf '%s\n' "$TOKEN" > "$T/token"
AZURE_STORAGE_TOKEN_FILE="$T/token" AZDEDUP_CA_BUNDLE="$T/cert.pem" azls -q "$AZS/tok" > "$T/tok.ndjson"
check_eq "AZURE_STORAGE_TOKEN_FILE and AZDEDUP_CA_BUNDLE: listing works" "$(wc -l < "$T/tok.ndjson")" "7"
# a token that expires mid-run: the file is read again when the service refuses it (a
# fifo hands out the stale token first, then the renewed one once azls has closed the
# fifo after the first read: a condition waited on, not a sleep)
mkfifo "$T/tokfifo"
AZURE_STORAGE_TOKEN_FILE="$T/tokfifo" azls -q --ca-bundle "$T/cert.pem" "$AZS/tok" > "$T/tok2.ndjson" 2> "$T/err" &
apid=$!
( i=0; while [ $i -lt 600 ] && kill -0 $apid 2> /dev/null; do sleep 0.1; i=$((i + 1)); done; kill $apid 2> /dev/null ) &
wdog=$!
timeout 60 sh -c 'printf "%s\n" "$1" > "$2"' sh "$EXPIRED" "$T/tokfifo"
i=0
while [ $i -lt 600 ] && ls -l /proc/$apid/fd 2> /dev/null | grep -q tokfifo; do sleep 0.05; i=$((i + 1)); done
timeout 60 sh -c 'printf "%s\n" "$1" > "$2"' sh "$TOKEN" "$T/tokfifo"
wait $apid
kill $wdog 2> /dev/null
check_eq "a refused token is read again from its file and the run goes on" "$(wc -l < "$T/tok2.ndjson")" "7"
AZURE_STORAGE_TOKEN=$EXPIRED azls --ca-bundle "$T/cert.pem" "$AZS/tok" > /dev/null 2> "$T/err"
check_eq "an expired token: exit 2" "$?" "2"
check "refused, token not shown" sh -c "grep -q 'access refused' '$T/err' && ! grep -q '$EXPIRED' '$T/err'"
kill $TLS_PID 2> /dev/null

# --- faults a real server cannot produce, from a proxy in front of Azurite -------------------
# Every 4th request gets, in turn: 503 with Retry-After, 429, 500, a reset, a truncated
# body, a stall.  Nothing may be lost or duplicated, and each fault costs one retry.  One
# request per connection: on a reused connection that dies before any answer, libcurl
# resends the request itself, and such faults would never reach our retry count.
: > "$T/faults.log"
"$PY" "$TOP/tests/e2e/faultproxy.py" --no-keepalive --upstream "127.0.0.1:$AZ_PORT" \
	--port-file "$T/fp.port" --log "$T/faults.log" --every 4 --faults 503,429,500,reset,trunc,stall --stall-seconds 6 \
	2> "$T/fp.err" &
FP_PID=$!
FP2_PID=
FP3_PID=
trap 'kill $FP_PID $FP2_PID $FP3_PID 2> /dev/null; az_stop; rm -rf "$T"' EXIT
i=0
while [ $i -lt 100 ] && [ ! -s "$T/fp.port" ]; do sleep 0.1; i=$((i + 1)); done
AZF="http://127.0.0.1:$(cat "$T/fp.port")/devstoreaccount1"
faults() { wc -l < "$T/faults.log"; }
retries() { sed -n 's/.*, \([0-9]*\) retries.*/\1/p' "$T/err"; }

AZDEDUP_PAGE_SIZE=20 azls --timeout 2 --prefix d3/f1 "$AZF/many" > "$T/f-list.ndjson" 2> "$T/err"
check_eq "listing through faults: exit 0" "$?" "0"
n0=$(faults)
check "faults were injected into the listing" test "$n0" -gt 0
check_eq "every blob listed once" "$(jq -r .name "$T/f-list.ndjson" | sort -u | wc -l) $(wc -l < "$T/f-list.ndjson")" "111 111"
check_eq "the same listing as without faults" "$(jq -r .name "$T/f-list.ndjson" | cksum)" \
	"$(azls -q --prefix d3/f1 "$AZ/many" | jq -r .name | cksum)"
check_eq "the summary counts one retry per fault" "$(retries)" "$n0"

azget --timeout 2 -P 8 -d "$T/f-get" -i "$T/f-list.ndjson" > "$T/f-got.ndjson" 2> "$T/err"
check_eq "downloads through faults: exit 0" "$?" "0"
n1=$(faults)
check "faults were injected into the downloads" grep -q trunc "$T/faults.log"
check_eq "every file arrived whole" "$(cd "$T/f-get/d3" && find . -type f | sort | cksum)" \
	"$(cd "$M/d3" && find . -type f -name 'f1*' | sort | cksum)"
check "byte-identical" sh -c "cd '$T/f-get/d3' && for f in *; do cmp \"\$f\" '$M/d3/'\"\$f\" || exit 1; done"
check_eq "one retry per fault" "$(retries)" "$((n1 - n0))"
check "no temporaries left" no_files "$T/f-get" -name '.*'

azcp --timeout 2 -P 8 -i "$T/f-list.ndjson" "$AZF/faultcp" > "$T/f-cp.ndjson" 2> "$T/err"
check_eq "server-side copies through faults: exit 0" "$?" "0"
n2=$(faults)
check_eq "every blob copied once, none failed" "$(jq -r .copy "$T/f-cp.ndjson" | sort | uniq -c | tr -s ' ')" " 111 copied"
check_eq "the destination holds exactly the source" "$(azls -q "$AZ/faultcp" | jq -r '"\(.name) \(.content_md5)"' | cksum)" \
	"$(azls -q --prefix d3/f1 "$AZ/many" | jq -r '"\(.name) \(.content_md5)"' | cksum)"
check_eq "one retry per fault" "$(retries)" "$((n2 - n1))"

azls -q --all "$T/big" | azcp --timeout 2 "$AZF/faultbig" > /dev/null 2> "$T/err"
check_eq "block upload through faults: exit 0" "$?" "0"
azls -q --all "$AZF/faultbig" 2> /dev/null | azget -q --timeout 2 -d "$T/f-big" > /dev/null 2>&1
check "and back, byte-identical" cmp "$T/big/big.jpg" "$T/f-big/big.jpg"
azls --retries 2 --timeout 1 "http://127.0.0.1:1/devstoreaccount1/gone" > /dev/null 2> "$T/err"
check_eq "a server that is not there: exit 2" "$?" "2"
check "named, with the attempts" grep -q "after 3 attempts" "$T/err"
# a name the service would turn down with a bare 400 (OutOfRangeInput): said before any request
printf '%s\n' '{"name":"a.jpg","size":1}' | azcp -q "$AZ/u1" > /dev/null 2> "$T/err"
check_eq "a container name under 3 characters: azcp exits 2" "$?" "2"
check "saying which name and why" grep -q '"u1" is not a container name (3 to 63' "$T/err"
kill $FP_PID 2> /dev/null

# the same faults over kept-alive connections: counts may differ, nothing may be lost
: > "$T/faults3.log"
"$PY" "$TOP/tests/e2e/faultproxy.py" --upstream "127.0.0.1:$AZ_PORT" --port-file "$T/fp3.port" \
	--log "$T/faults3.log" --every 3 --faults 503,reset,trunc,stall --stall-seconds 6 2> /dev/null &
FP3_PID=$!
i=0
while [ $i -lt 100 ] && [ ! -s "$T/fp3.port" ]; do sleep 0.1; i=$((i + 1)); done
AZK="http://127.0.0.1:$(cat "$T/fp3.port")/devstoreaccount1"
sed "s|$AZF|$AZK|" "$T/f-list.ndjson" | azget -q --timeout 2 -P 8 -d "$T/k-alive" > /dev/null 2>&1
check_eq "keep-alive through faults: every file arrives whole" \
	"$(cd "$T/k-alive/d3" && find . -type f | sort | xargs cat | cksum)" \
	"$(cd "$M/d3" && find . -type f -name 'f1*' | sort | xargs cat | cksum)"
check "and faults were injected" test "$(wc -l < "$T/faults3.log")" -gt 0
kill $FP3_PID 2> /dev/null

# a download cut in the middle resumes from the bytes it has
"$PY" "$TOP/tests/e2e/faultproxy.py" --no-keepalive --upstream "127.0.0.1:$AZ_PORT" --port-file "$T/fp2.port" \
	--log "$T/faults2.log" --every 1 --faults trunc --methods GET --max-faults 1 2> /dev/null &
FP2_PID=$!
i=0
while [ $i -lt 100 ] && [ ! -s "$T/fp2.port" ]; do sleep 0.1; i=$((i + 1)); done
azls -q --all "$AZ/big" | sed "s|$AZ|http://127.0.0.1:$(cat "$T/fp2.port")/devstoreaccount1|" > "$T/big2.ndjson"
azget --retries 0 -d "$T/resume" -i "$T/big2.ndjson" > /dev/null 2> "$T/err"
check_eq "a cut download without retries fails: exit 1" "$?" "1"
part=$(wc -c < "$T/resume/.big.jpg.partial")
check "and keeps the bytes it got" test "$part" -gt 1000000 -a "$part" -lt 9437000
azget -d "$T/resume" -i "$T/big2.ndjson" > /dev/null 2> "$T/err"
check "the rerun asks only for the rest" grep -q "^azget: 1 fetched, 0 already present, 0 failed, 0 failed upstream, $(echo "$part" | awk '{printf "%.1f", (9437000 - $1) / 1e6}') MB received" "$T/err"
check "and the file is whole" cmp "$T/big/big.jpg" "$T/resume/big.jpg"
kill $FP2_PID 2> /dev/null

# --- killed midway, then rerun ----------------------------------------------------------------
azls -q "$AZ/many" --prefix d1/ > "$T/d1.ndjson"
azget -q -P 4 --rate 150 -d "$T/k-get" -i "$T/d1.ndjson" > /dev/null 2>&1 &
kpid=$!
# kill once some (not all) files are there: a condition, bounded, not a sleep
i=0
while [ $i -lt 600 ] && [ "$(find "$T/k-get" -type f ! -name '.*' 2> /dev/null | wc -l)" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $kpid 2> /dev/null
wait $kpid 2> /dev/null
before=$(find "$T/k-get" -type f ! -name '.*' | wc -l)
check "azget was killed midway" test "$before" -gt 0 -a "$before" -lt 1000
azget -d "$T/k-get" -i "$T/d1.ndjson" > /dev/null 2> "$T/err"
check_eq "rerun: exit 0" "$?" "0"
check "rerun fetches only what was missing" grep -q "^azget: $((1000 - before)) fetched, $before already present" "$T/err"
azget -q -d "$T/k-full" -i "$T/d1.ndjson" > /dev/null
check "the result equals an uninterrupted run" diff -r "$T/k-get" "$T/k-full"
check "no temporaries left" no_files "$T/k-get" -name '.*'

azls -q --all "$M/d2" > "$T/d2.ndjson"
: > "$T/killcp.out"
azcp -q -P 4 --rate 150 -i "$T/d2.ndjson" "$AZ/killcp" > "$T/killcp.out" 2>&1 &
kpid=$!
# kill once azcp has reported some uploads (one record a blob), bounded
i=0
while [ $i -lt 600 ] && [ "$(wc -l < "$T/killcp.out")" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $kpid 2> /dev/null
wait $kpid 2> /dev/null
before=$(azls -q --all "$AZ/killcp" | wc -l)
check "azcp was killed midway" test "$before" -gt 0 -a "$before" -lt 1000
azcp -i "$T/d2.ndjson" "$AZ/killcp" > /dev/null 2> "$T/err"
check_eq "rerun: exit 0" "$?" "0"
# a request sent whole just before the kill may still land after the count: the rerun must
# find at least what was counted there, and copy the rest and nothing else
got_c=$(sed -n 's/^azcp: \([0-9]*\) copied .*/\1/p' "$T/err")
got_a=$(sed -n 's/^azcp: .* copied (0.0 MB), \([0-9]*\) already there.*/\1/p' "$T/err")
check "rerun copies only what was missing" test -n "$got_c" -a -n "$got_a" -a \
	"$((got_c + got_a))" -eq 1000 -a "${got_a:-0}" -ge "$before" -a "${got_a:-0}" -le "$((before + 4))"
azls -q --all "$AZ/killcp" | azget -q -d "$T/killcp-get" > /dev/null
check "the container equals the source" diff -r "$M/d2" "$T/killcp-get"

finish
