# pipeline.mk — the six azdedup stages as make targets, each with a resume marker.
#
#   make -f pipeline.mk SRC=photos/ DST=unique/ [WORK=work] [STORE=WORK/store]
#
# Stages and their outputs (all under WORK, each written atomically):
#   list      azls SRC                       -> list.ndjson
#   fetch     azget -d WORK/files            -> fetched.ndjson
#   features  featstore has | featx | featstore put STORE   (only names not yet stored)
#   join      featstore get STORE            -> features.ndjson
#   report    dedupe                         -> report.ndjson
#   copy      azcp DST                       -> copied.ndjson
# A finished stage leaves WORK/.done/STAGE; a rerun after an interruption starts at the
# first stage without a marker, and the stages themselves skip finished work (files
# already fetched, features already stored, destinations already holding the content).
# `make -f pipeline.mk refresh` drops the markers to pick up changes in SRC; the work
# already done is still skipped.  Exit status 1 from a tool (some images failed) does
# not stop the pipeline: failures travel as error records and the report counts them.

SRC   ?=
DST   ?=
WORK  ?= work
STORE ?= $(WORK)/store
HERE  := $(dir $(lastword $(MAKEFILE_LIST)))
BIN   ?= $(if $(wildcard $(HERE)build/bin/azls),$(HERE)build/bin/,)
# extra options per stage, e.g. DEDUPE_OPTS='--keep size'
AZLS_OPTS     ?=
AZGET_OPTS    ?=
FEATX_OPTS    ?=
DEDUPE_OPTS   ?=
AZCP_OPTS     ?=
Q             ?=

# SRC and DST reach the tools through the environment, so that a SAS in them is never
# echoed with the commands; a SAS in SRC also authorises the later stages' reads.
export AZDEDUP_SRC := $(SRC)
export AZDEDUP_DST := $(DST)
SRC_SAS = case "$$AZDEDUP_SRC" in *\?*) export AZURE_STORAGE_SAS_TOKEN="$${AZDEDUP_SRC\#*\?}";; esac;

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DELETE_ON_ERROR:
.PHONY: all list fetch features join report copy refresh clean check-src check-dst

D := $(WORK)/.done
# a tool's exit 1 means "done, some records failed": go on; 2 or worse stops
OK1 = || [ $$? -eq 1 ]

all: $(if $(DST),copy,report)

list: $(D)/list
fetch: $(D)/fetch
features: $(D)/features
join: $(D)/join
report: $(D)/report
copy: $(D)/copy

check-src:
	@[ -n "$(SRC)" ] || { echo "pipeline.mk: SRC is not set (make -f pipeline.mk SRC=... DST=...)" >&2; exit 2; }
check-dst:
	@[ -n "$(DST)" ] || { echo "pipeline.mk: DST is not set" >&2; exit 2; }

$(D)/list: | check-src
	@mkdir -p $(D)
	$(BIN)azls $(Q) $(AZLS_OPTS) -o $(WORK)/list.ndjson "$$AZDEDUP_SRC" $(OK1)
	@touch $@

$(D)/fetch: $(D)/list
	$(SRC_SAS) $(BIN)azget $(Q) $(AZGET_OPTS) -d $(WORK)/files -i $(WORK)/list.ndjson -o $(WORK)/fetched.ndjson $(OK1)
	@touch $@

$(D)/features: $(D)/fetch
	$(BIN)featstore has $(Q) '$(STORE)' -i $(WORK)/fetched.ndjson -o $(WORK)/todo.ndjson $(OK1)
	$(BIN)featx $(Q) $(FEATX_OPTS) -i $(WORK)/todo.ndjson | $(BIN)featstore put $(Q) '$(STORE)' $(OK1)
	@touch $@

$(D)/join: $(D)/features
	$(BIN)featstore get $(Q) '$(STORE)' -i $(WORK)/fetched.ndjson -o $(WORK)/features.ndjson $(OK1)
	@touch $@

$(D)/report: $(D)/join
	$(BIN)dedupe $(Q) $(DEDUPE_OPTS) -i $(WORK)/features.ndjson -o $(WORK)/report.ndjson $(OK1)
	@touch $@

$(D)/copy: $(D)/report | check-dst
	$(SRC_SAS) $(BIN)azcp $(Q) $(AZCP_OPTS) -i $(WORK)/report.ndjson -o $(WORK)/copied.ndjson "$$AZDEDUP_DST" $(OK1)
	@touch $@

refresh:
	rm -f $(D)/*

clean:
	rm -rf $(WORK)
