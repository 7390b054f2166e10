# shellcheck shell=bash
# The secured mode of scripts/kafka-local (sourced by it; uses its INSTANCE_DIR, ports, log, die).
#
# Listeners, all on 127.0.0.1, none anonymous:
#   SECURE      SASL_SSL, SCRAM-SHA-512 (users made at format time) and PLAIN (users in the
#               listener's JAAS config, the form managed clouds offer): what clients use.
#   MTLS        SSL with a client certificate required (mutual TLS); also the inter-broker
#               listener, where the broker presents its own certificate.
#   CONTROLLER  SSL with a client certificate required: the broker reaches its controller as
#               User:broker. SCRAM cannot guard it (KRaft controllers read SCRAM credentials
#               from the metadata log they serve), and PLAINTEXT would be an anonymous door.
# Certificate principals map to their CN (CN=detente -> User:detente). The StandardAuthorizer
# denies whatever no ACL allows; User:broker (the broker itself) and User:admin (the operator
# running kafka-acls) are super users. User:detente gets exactly what the service calls for
# (secure_grant_acls below says why each grant).
#
# Files of a secured instance (passwords only in 0600 files, never printed):
#   secrets                         the instance's generated passwords (sourced here)
#   tls/ca.pem, tls/ca.key          the instance's own CA
#   tls/broker.{pem,key,p12}        the broker's certificate (SAN IP:127.0.0.1 only) and keystore
#   tls/detente-client.{pem,key}    User:detente's client certificate; the key is encrypted
#   credentials/detente.env         DETENTE_* lines: SASL_SSL + SCRAM-SHA-512 as User:detente
#   credentials/detente-mtls.env    DETENTE_* lines: mutual TLS as User:detente
#   credentials/admin.properties    --command-config of the admin tools, as User:admin

TLS_DIR="$INSTANCE_DIR/tls"
CREDENTIALS_DIR="$INSTANCE_DIR/credentials"
SECRETS_FILE="$INSTANCE_DIR/secrets"
SECURED_MARKER="$INSTANCE_DIR/.secured" # the ACLs and default topics exist
KAFKA_BIN="$KAFKA_DIR/bin"

# The service's defaults (consumer/settings.py): the ACLs and topics made for them.
SECURE_INPUT_TOPIC=articles.raw
SECURE_OUTPUT_TOPIC=articles.tagged
SECURE_DLQ_TOPIC=articles.dlq
SECURE_GROUP=detente

secure_load_secrets() {
    [[ -s "$SECRETS_FILE" ]] || die "no $SECRETS_FILE: delete $INSTANCE_DIR and start again"
    # shellcheck source=/dev/null
    . "$SECRETS_FILE"
}

# A fresh CA, broker certificate and client certificate, and fresh passwords. Elliptic-curve
# keys: their TLS handshakes cost a fraction of RSA's on a small machine.
secure_generate_material() {
    command -v openssl >/dev/null 2>&1 || die "openssl is needed for --secure (apt-get install openssl)"
    rm -rf "$TLS_DIR" "$CREDENTIALS_DIR" "$SECURED_MARKER"
    (umask 077 && mkdir -p "$TLS_DIR" "$CREDENTIALS_DIR" && python3 - >"$SECRETS_FILE" <<'PY'
import secrets
for name in ("ADMIN_PASSWORD", "DETENTE_PASSWORD", "KEYSTORE_PASSWORD", "CLIENT_KEY_PASSWORD"):
    print(f"{name}={secrets.token_hex(24)}")
PY
    )
    secure_load_secrets
    log "making a CA and certificates in $TLS_DIR"
    (
        umask 077
        cd "$TLS_DIR"
        local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
        openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 365 \
            -subj "/CN=kafka-local CA $(basename "$INSTANCE_DIR")" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        # SAN IP:127.0.0.1 only: clients verify the host name by default, so a client that
        # dials "localhost" is refused unless it turns the check off (a test relies on it).
        openssl req "${ec[@]}" -keyout broker.key -out broker.csr -subj "/CN=broker" 2>/dev/null
        openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \
            -out broker.pem -extfile <(printf '%s\n' "subjectAltName=IP:127.0.0.1" \
                "extendedKeyUsage=serverAuth,clientAuth" "basicConstraints=CA:FALSE") 2>/dev/null
        KEYSTORE_PASSWORD="$KEYSTORE_PASSWORD" openssl pkcs12 -export -name broker \
            -in broker.pem -inkey broker.key -certfile ca.pem -out broker.p12 \
            -passout env:KEYSTORE_PASSWORD
        openssl req "${ec[@]}" -keyout client.tmp.key -out client.csr -subj "/CN=detente" 2>/dev/null
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \
            -out detente-client.pem -extfile <(printf '%s\n' "extendedKeyUsage=clientAuth" \
                "basicConstraints=CA:FALSE") 2>/dev/null
        CLIENT_KEY_PASSWORD="$CLIENT_KEY_PASSWORD" openssl pkey -in client.tmp.key -aes256 \
            -passout env:CLIENT_KEY_PASSWORD -out detente-client.key
        rm -f client.tmp.key ./*.csr ca.srl
        chmod 644 ca.pem broker.pem detente-client.pem
    ) || die "making certificates with openssl failed"
    secure_write_credentials
}

secure_write_credentials() {
    (
        umask 077
        cat >"$CREDENTIALS_DIR/detente.env" <<EOF
DETENTE_BOOTSTRAP_SERVERS=127.0.0.1:$BROKER_PORT
DETENTE_SECURITY_PROTOCOL=SASL_SSL
DETENTE_SASL_MECHANISM=SCRAM-SHA-512
DETENTE_SASL_USERNAME=detente
DETENTE_SASL_PASSWORD=$DETENTE_PASSWORD
DETENTE_SSL_CAFILE=$TLS_DIR/ca.pem
EOF
        cat >"$CREDENTIALS_DIR/detente-mtls.env" <<EOF
DETENTE_BOOTSTRAP_SERVERS=127.0.0.1:$MTLS_PORT
DETENTE_SECURITY_PROTOCOL=SSL
DETENTE_SSL_CAFILE=$TLS_DIR/ca.pem
DETENTE_SSL_CERTFILE=$TLS_DIR/detente-client.pem
DETENTE_SSL_KEYFILE=$TLS_DIR/detente-client.key
DETENTE_SSL_KEY_PASSWORD=$CLIENT_KEY_PASSWORD
EOF
        cat >"$CREDENTIALS_DIR/admin.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
EOF
    )
}

# The listener part of server.properties (write_config puts it in an 0600 file).
secure_listener_config() {
    secure_load_secrets
    cat <<EOF
listeners=SECURE://127.0.0.1:$BROKER_PORT,MTLS://127.0.0.1:$MTLS_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SECURE://127.0.0.1:$BROKER_PORT,MTLS://127.0.0.1:$MTLS_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
listener.security.protocol.map=SECURE:SASL_SSL,MTLS:SSL,CONTROLLER:SSL
inter.broker.listener.name=MTLS

ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/broker.p12
ssl.keystore.password=$KEYSTORE_PASSWORD
ssl.key.password=$KEYSTORE_PASSWORD
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
listener.name.mtls.ssl.client.auth=required
listener.name.controller.ssl.client.auth=required
ssl.principal.mapping.rules=RULE:^CN=([^,]+).*\$/\$1/,DEFAULT

listener.name.secure.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.secure.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.secure.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="$ADMIN_PASSWORD" user_detente="$DETENTE_PASSWORD";

authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:broker;User:admin
EOF
}

# SCRAM users go into the bootstrap metadata when the storage is formatted.
secure_scram_args() {
    secure_load_secrets
    SCRAM_ARGS=(
        --add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]"
        --add-scram "SCRAM-SHA-512=[name=detente,password=$DETENTE_PASSWORD]"
    )
}

# Once per instance, with the broker up: the default topics (User:detente may not create
# topics) and User:detente's ACLs, through the admin tools, as User:admin over SASL_SSL.
secure_first_start() {
    [[ -e "$SECURED_MARKER" ]] && return 0
    local admin=(--bootstrap-server "127.0.0.1:$BROKER_PORT" --command-config "$CREDENTIALS_DIR/admin.properties")
    local topic
    log "creating the default topics and User:detente's ACLs"
    for topic in "$SECURE_INPUT_TOPIC" "$SECURE_OUTPUT_TOPIC" "$SECURE_DLQ_TOPIC"; do
        "$KAFKA_BIN/kafka-topics" "${admin[@]}" --create --if-not-exists --topic "$topic" \
            --partitions 3 --replication-factor 1 >/dev/null || return 1
    done
    secure_grant_acls "${admin[@]}" || return 1
    touch "$SECURED_MARKER"
}

# User:detente's grants, from the calls the service makes (the README lists the same commands,
# and a test checks that they give the same ACLs):
#   Read on the input topic     Fetch, ListOffsets and Metadata of the consumer (Read implies
#                               Describe, which the metadata and lag reads need).
#   Read on the group           JoinGroup/SyncGroup/Heartbeat, OffsetFetch, OffsetCommit, the
#                               offsets a transaction commits (AddOffsetsToTxn, TxnOffsetCommit),
#                               LeaveGroup at stop, and the coordinator lookup (implied Describe).
#   Write on the output and dead-letter topics: Produce (and, since Kafka 3.0, the idempotent
#                               producer's id, which needs Write on some topic).
#   DescribeConfigs on them     the service reads their max.message.bytes to size its batches.
#   Write on transactional ids with the prefix detente-<group>-: InitProducerId, AddPartitionsToTxn,
#                               AddOffsetsToTxn, EndTxn of the exactly-once producer.
# Nothing else: no Create (an admin makes the topics), no Describe on the cluster, no Alter.
secure_grant_acls() {
    local admin=("$@") principal=(--add --allow-principal User:detente)
    "$KAFKA_BIN/kafka-acls" "${admin[@]}" "${principal[@]}" --operation Read \
        --topic "$SECURE_INPUT_TOPIC" --group "$SECURE_GROUP" >/dev/null || return 1
    "$KAFKA_BIN/kafka-acls" "${admin[@]}" "${principal[@]}" --operation Write \
        --operation DescribeConfigs --topic "$SECURE_OUTPUT_TOPIC" --topic "$SECURE_DLQ_TOPIC" \
        >/dev/null || return 1
    "$KAFKA_BIN/kafka-acls" "${admin[@]}" "${principal[@]}" --operation Write \
        --transactional-id "detente-$SECURE_GROUP-" --resource-pattern-type prefixed >/dev/null
}

# What a client needs, on stdout before the address: paths and the user, never a password.
secure_print_client_info() {
    printf 'ca-file: %s\n' "$TLS_DIR/ca.pem"
    printf 'user: %s\n' detente
    printf 'credentials: %s\n' "$CREDENTIALS_DIR/detente.env"
    printf 'mtls-address: 127.0.0.1:%s\n' "$MTLS_PORT"
    printf 'mtls-credentials: %s\n' "$CREDENTIALS_DIR/detente-mtls.env"
    printf 'admin-config: %s\n' "$CREDENTIALS_DIR/admin.properties"
}
