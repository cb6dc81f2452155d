package smpp

import (
	"fmt"
	"strconv"
	"strings"
)

// CommandStatus is the command_status of a response header. A non-zero
// status is an error: it carries its SMPP name, a description and whether
// the same request may succeed later (carriers.IsRetriable reads that).
//
// Inspect it with errors.As or compare with errors.Is against the Status
// constants.
type CommandStatus uint32

// SMPP 3.4 command_status values (section 5.1.3).
const (
	StatusOK                         CommandStatus = 0x00000000
	StatusInvalidMsgLength           CommandStatus = 0x00000001
	StatusInvalidCmdLength           CommandStatus = 0x00000002
	StatusInvalidCmdID               CommandStatus = 0x00000003
	StatusInvalidBindStatus          CommandStatus = 0x00000004
	StatusAlreadyBound               CommandStatus = 0x00000005
	StatusInvalidPriorityFlag        CommandStatus = 0x00000006
	StatusInvalidRegisteredDelivery  CommandStatus = 0x00000007
	StatusSystemError                CommandStatus = 0x00000008
	StatusInvalidSourceAddr          CommandStatus = 0x0000000A
	StatusInvalidDestAddr            CommandStatus = 0x0000000B
	StatusInvalidMessageID           CommandStatus = 0x0000000C
	StatusBindFailed                 CommandStatus = 0x0000000D
	StatusInvalidPassword            CommandStatus = 0x0000000E
	StatusInvalidSystemID            CommandStatus = 0x0000000F
	StatusCancelFailed               CommandStatus = 0x00000011
	StatusReplaceFailed              CommandStatus = 0x00000013
	StatusMessageQueueFull           CommandStatus = 0x00000014
	StatusInvalidServiceType         CommandStatus = 0x00000015
	StatusInvalidNumDests            CommandStatus = 0x00000033
	StatusInvalidDistListName        CommandStatus = 0x00000034
	StatusInvalidDestFlag            CommandStatus = 0x00000040
	StatusInvalidSubmitWithReplace   CommandStatus = 0x00000042
	StatusInvalidESMClass            CommandStatus = 0x00000043
	StatusCannotSubmitToDistList     CommandStatus = 0x00000044
	StatusSubmitFailed               CommandStatus = 0x00000045
	StatusInvalidSourceTON           CommandStatus = 0x00000048
	StatusInvalidSourceNPI           CommandStatus = 0x00000049
	StatusInvalidDestTON             CommandStatus = 0x00000050
	StatusInvalidDestNPI             CommandStatus = 0x00000051
	StatusInvalidSystemType          CommandStatus = 0x00000053
	StatusInvalidReplaceFlag         CommandStatus = 0x00000054
	StatusInvalidNumMessages         CommandStatus = 0x00000055
	StatusThrottled                  CommandStatus = 0x00000058
	StatusInvalidScheduleTime        CommandStatus = 0x00000061
	StatusInvalidExpiry              CommandStatus = 0x00000062
	StatusInvalidDefaultMsgID        CommandStatus = 0x00000063
	StatusTempAppError               CommandStatus = 0x00000064
	StatusPermAppError               CommandStatus = 0x00000065
	StatusRejectedAppError           CommandStatus = 0x00000066
	StatusQueryFailed                CommandStatus = 0x00000067
	StatusInvalidOptionalParamStream CommandStatus = 0x000000C0
	StatusOptionalParamNotAllowed    CommandStatus = 0x000000C1
	StatusInvalidParamLength         CommandStatus = 0x000000C2
	StatusMissingOptionalParam       CommandStatus = 0x000000C3
	StatusInvalidOptionalParamValue  CommandStatus = 0x000000C4
	StatusDeliveryFailure            CommandStatus = 0x000000FE
	StatusUnknownError               CommandStatus = 0x000000FF
)

// StatusInvalidDataCoding is ESME_RINVDCS, defined by SMPP 5.0 and
// answered by 3.4 SMSCs alike: a data_coding the SMSC does not take.
const StatusInvalidDataCoding CommandStatus = 0x00000104

// statusInfo is one row of the command_status table.
type statusInfo struct {
	Code        CommandStatus
	Name        string
	Retriable   bool
	Description string
}

// statusTable is the only place that says what a command_status means and
// whether trying again may help. Retriable marks states of the peer
// (queues full, throttling, transient faults), never a problem with the
// request itself. Codes missing here (reserved or vendor-specific) are not
// retriable.
var statusTable = []statusInfo{
	{StatusOK, "ESME_ROK", false, "no error"},
	{StatusInvalidMsgLength, "ESME_RINVMSGLEN", false, "message length is invalid"},
	{StatusInvalidCmdLength, "ESME_RINVCMDLEN", false, "command length is invalid"},
	{StatusInvalidCmdID, "ESME_RINVCMDID", false, "invalid command id"},
	{StatusInvalidBindStatus, "ESME_RINVBNDSTS", true, "incorrect bind status for given command"},
	{StatusAlreadyBound, "ESME_RALYBND", false, "esme already in bound state"},
	{StatusInvalidPriorityFlag, "ESME_RINVPRTFLG", false, "invalid priority flag"},
	{StatusInvalidRegisteredDelivery, "ESME_RINVREGDLVFLG", false, "invalid registered delivery flag"},
	{StatusSystemError, "ESME_RSYSERR", true, "system error"},
	{StatusInvalidSourceAddr, "ESME_RINVSRCADR", false, "invalid source address"},
	{StatusInvalidDestAddr, "ESME_RINVDSTADR", false, "invalid destination address"},
	{StatusInvalidMessageID, "ESME_RINVMSGID", false, "message id is invalid"},
	{StatusBindFailed, "ESME_RBINDFAIL", false, "bind failed"},
	{StatusInvalidPassword, "ESME_RINVPASWD", false, "invalid password"},
	{StatusInvalidSystemID, "ESME_RINVSYSID", false, "invalid system id"},
	{StatusCancelFailed, "ESME_RCANCELFAIL", false, "cancel_sm failed"},
	{StatusReplaceFailed, "ESME_RREPLACEFAIL", false, "replace_sm failed"},
	{StatusMessageQueueFull, "ESME_RMSGQFUL", true, "message queue full"},
	{StatusInvalidServiceType, "ESME_RINVSERTYP", false, "invalid service type"},
	{StatusInvalidNumDests, "ESME_RINVNUMDESTS", false, "invalid number of destinations"},
	{StatusInvalidDistListName, "ESME_RINVDLNAME", false, "invalid distribution list name"},
	{StatusInvalidDestFlag, "ESME_RINVDESTFLAG", false, "destination flag is invalid (submit_multi)"},
	{StatusInvalidSubmitWithReplace, "ESME_RINVSUBREP", false, "invalid submit with replace request"},
	{StatusInvalidESMClass, "ESME_RINVESMCLASS", false, "invalid esm_class field data"},
	{StatusCannotSubmitToDistList, "ESME_RCNTSUBDL", false, "cannot submit to distribution list"},
	{StatusSubmitFailed, "ESME_RSUBMITFAIL", true, "submit_sm or submit_multi failed"},
	{StatusInvalidSourceTON, "ESME_RINVSRCTON", false, "invalid source address ton"},
	{StatusInvalidSourceNPI, "ESME_RINVSRCNPI", false, "invalid source address npi"},
	{StatusInvalidDestTON, "ESME_RINVDSTTON", false, "invalid destination address ton"},
	{StatusInvalidDestNPI, "ESME_RINVDSTNPI", false, "invalid destination address npi"},
	{StatusInvalidSystemType, "ESME_RINVSYSTYP", false, "invalid system_type field"},
	{StatusInvalidReplaceFlag, "ESME_RINVREPFLAG", false, "invalid replace_if_present flag"},
	{StatusInvalidNumMessages, "ESME_RINVNUMMSGS", false, "invalid number of messages"},
	{StatusThrottled, "ESME_RTHROTTLED", true, "throttling error: esme exceeded allowed message limits"},
	{StatusInvalidScheduleTime, "ESME_RINVSCHED", false, "invalid scheduled delivery time"},
	{StatusInvalidExpiry, "ESME_RINVEXPIRY", false, "invalid message validity period (expiry time)"},
	{StatusInvalidDefaultMsgID, "ESME_RINVDFTMSGID", false, "predefined message invalid or not found"},
	{StatusTempAppError, "ESME_RX_T_APPN", true, "esme receiver temporary app error code"},
	{StatusPermAppError, "ESME_RX_P_APPN", false, "esme receiver permanent app error code"},
	{StatusRejectedAppError, "ESME_RX_R_APPN", false, "esme receiver reject message error code"},
	{StatusQueryFailed, "ESME_RQUERYFAIL", false, "query_sm request failed"},
	{StatusInvalidOptionalParamStream, "ESME_RINVOPTPARSTREAM", false, "error in the optional part of the pdu body"},
	{StatusOptionalParamNotAllowed, "ESME_ROPTPARNOTALLWD", false, "optional parameter not allowed"},
	{StatusInvalidParamLength, "ESME_RINVPARLEN", false, "invalid parameter length"},
	{StatusMissingOptionalParam, "ESME_RMISSINGOPTPARAM", false, "expected optional parameter missing"},
	{StatusInvalidOptionalParamValue, "ESME_RINVOPTPARAMVAL", false, "invalid optional parameter value"},
	{StatusDeliveryFailure, "ESME_RDELIVERYFAILURE", true, "delivery failure (data_sm_resp)"},
	{StatusUnknownError, "ESME_RUNKNOWNERR", true, "unknown error"},
	{StatusInvalidDataCoding, "ESME_RINVDCS", false, "invalid data coding scheme"},
}

var statusByCode = func() map[CommandStatus]*statusInfo {
	m := make(map[CommandStatus]*statusInfo, len(statusTable))
	for i := range statusTable {
		m[statusTable[i].Code] = &statusTable[i]
	}
	return m
}()

// ParseCommandStatus reads a status by its SMPP name (ESME_RTHROTTLED, any
// case) or its code, hex with 0x or decimal: for flags and config files.
func ParseCommandStatus(s string) (CommandStatus, error) {
	s = strings.TrimSpace(s)
	for _, i := range statusTable {
		if strings.EqualFold(i.Name, s) {
			return i.Code, nil
		}
	}
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("command_status %q: want a name such as ESME_RSYSERR or a code such as 0x08", s)
	}
	return CommandStatus(v), nil
}

// Name returns the status's SMPP name, e.g. ESME_RTHROTTLED, or its hex
// code when the table does not know it.
func (s CommandStatus) Name() string {
	if i, ok := statusByCode[s]; ok {
		return i.Name
	}
	return fmt.Sprintf("0x%08x", uint32(s))
}

// Description returns what the specification says the status means.
func (s CommandStatus) Description() string {
	if i, ok := statusByCode[s]; ok {
		return i.Description
	}
	if s >= 0x400 && s <= 0x4FF {
		return "smsc vendor-specific error"
	}
	return "reserved status"
}

// Retriable reports whether the request that got this status may succeed
// if sent again later. It implements carriers.Retriable.
func (s CommandStatus) Retriable() bool {
	if i, ok := statusByCode[s]; ok {
		return i.Retriable
	}
	return false
}

func (s CommandStatus) Error() string {
	return fmt.Sprintf("%s (0x%08x): %s", s.Name(), uint32(s), s.Description())
}

func (s CommandStatus) String() string { return s.Name() }
