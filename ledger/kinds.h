/* SPDX-License-Identifier: Apache-2.0
 * ledger/kinds.h — the names of the event kinds every Store registers at migration: the four
 * Motus reference kinds (reference/motus.md §4.3) and our own (spec/store.md). The one table
 * that pairs each kind with its required payload members is `builtin_kinds` in ledger/store.c;
 * it and every writer and reader of these events use these names, never a second literal.
 * Included by ledger/ledger.h. */
#ifndef WL_LEDGER_KINDS_H
#define WL_LEDGER_KINDS_H

#define LEDGER_KIND_WORK_STARTED "work.started"               /* Motus */
#define LEDGER_KIND_TOOL_USED "tool.used"                     /* Motus */
#define LEDGER_KIND_EVIDENCE_REFERENCED "evidence.referenced" /* Motus */
#define LEDGER_KIND_WORK_CLOSED "work.closed"                 /* Motus */
#define LEDGER_KIND_MCP_CALL "mcp.call"
#define LEDGER_KIND_POLICY_DECIDED "policy.decided"
#define LEDGER_KIND_APPROVAL_REQUESTED "approval.requested"
#define LEDGER_KIND_APPROVAL_RESOLVED "approval.resolved"
#define LEDGER_KIND_TASK_DELEGATED "task.delegated"
#define LEDGER_KIND_MEMORY_WRITTEN "memory.written"
#define LEDGER_KIND_CHAT_EXCHANGED "chat.exchanged"

#endif
