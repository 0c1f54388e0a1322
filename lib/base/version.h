/* version.h — one version for the six tools and the record format. */
#ifndef AZD_VERSION_H
#define AZD_VERSION_H
#define AZDEDUP_VERSION "0.1.0"
#endif
