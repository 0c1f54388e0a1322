/* azure.h — the Azure Blob Storage backend (see storage.h for the interface).
 *
 * URLs: https://ACCOUNT.blob.core.windows.net/CONTAINER[/FOLDER][?SAS], the path-style
 * form http://HOST:PORT/ACCOUNT/CONTAINER[/FOLDER] (the emulator, private endpoints), and
 * az://CONTAINER[/FOLDER] on the account named by AZURE_STORAGE_CONNECTION_STRING or
 * AZURE_STORAGE_ACCOUNT.  Credentials come from the URL's SAS or the environment, each
 * only for the endpoint it is bound to (azauth.h, azdedup(7) SECURITY); the storage's
 * root and display form never hold a secret. */
#ifndef AZD_AZURE_H
#define AZD_AZURE_H

#include <sys/types.h>
#include "storage.h"

/* Opens the container at url as the storage s (for the dispatcher, storage.c). */
int stor_azure_open(stor *s, const char *url, int flags, aderr *err);
/* Parses one page of a List Blobs response: cb for each blob, named as listed (decoded
 * where the service encoded it); *next gets the NextMarker (malloc'd), NULL on the last
 * page.  For tests: the listing code itself goes through this parser. */
int az_parse_listing(const char *xml, size_t len, stor_list_cb cb, void *ud, char **next,
    aderr *err);
/* Base64 MD5 of the first size bytes of fd (the form of Content-MD5). */
int az_md5_file(int fd, off_t size, char out[32], aderr *err);

#endif
