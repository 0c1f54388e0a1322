/* quarantine.h — moving files out of a local folder into a quarantine folder, and back.
 *
 * A quarantine is a local folder DIR: each file moved there keeps its path relative to
 * the folder it came from, and a line of DIR/undo.ndjson says where it came from
 * ({"from":ABS,"to":ABS,"size":N,"sha256":HEX}), appended with one write and synced once
 * the move is done, so the journal never lists a move that did not happen and never
 * holds half a line.  qr_undo replays a journal backwards and puts every file back, byte
 * for byte, refusing to write over anything that is now at its original place.  Nothing
 * is deleted: a move is a rename (or, across file systems, a copy checked against its
 * SHA-256 before the original goes). */
#ifndef AZD_QUARANTINE_H
#define AZD_QUARANTINE_H

#include "err.h"

#define QR_JOURNAL "undo.ndjson"

typedef struct quarantine quarantine;

/* Opens (creating it when missing) the quarantine folder dir. */
quarantine *qr_open(const char *dir, aderr *err);
/* The folder's real path (links resolved); owned by q. */
const char *qr_root(const quarantine *q);
/* Moves the regular file at path `from` to DIR/name (name: a safe relative name) and
 * appends the journal line; *to (may be NULL) gets the new path, malloc'd.  AD_EEXIST
 * when DIR/name exists already (nothing moved).  Thread-safe. */
int qr_move(quarantine *q, const char *from, const char *name, char **to, aderr *err);
void qr_close(quarantine *q);

/* Replays the journal backwards: each file goes back from "to" to "from".  each (may be
 * NULL) hears of every entry, err NULL when it went back.  Returns the number of entries
 * that could not go back (still in the quarantine, with the reason given to each), or a
 * negative code with err filled when the journal cannot be read or a line of it is
 * malformed (then nothing is moved).  When every entry went back, the journal is renamed
 * to FILE.undone, so that it is not replayed twice. */
long qr_undo(const char *journal, void (*each)(void *ud, const char *from, const char *to,
    const aderr *err), void *ud, long *restored, aderr *err);

#endif
