#!/bin/sh
# pg_basebackup (compose's base-backup service) connects with the replication protocol, which the
# image's "host all all all" line does not cover.
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
