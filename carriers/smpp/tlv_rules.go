package smpp

import "fmt"

// tagLen is the value length an optional parameter may have (section
// 5.3.2): min to max octets.
type tagLen struct{ min, max int }

// tagLens lists the value lengths of the parameters SMPP 3.4 defines.
// Parameters not listed (later versions', vendors') are kept unchecked.
var tagLens = map[Tag]tagLen{
	TagDestAddrSubunit:          {1, 1},
	TagDestNetworkType:          {1, 1},
	TagDestBearerType:           {1, 1},
	TagDestTelematicsID:         {1, 2}, // 2 in section 5.3.2.11; some peers send 1
	TagSourceAddrSubunit:        {1, 1},
	TagSourceNetworkType:        {1, 1},
	TagSourceBearerType:         {1, 1},
	TagSourceTelematicsID:       {1, 2},
	TagQOSTimeToLive:            {4, 4},
	TagPayloadType:              {1, 1},
	TagAdditionalStatusInfoText: {1, 256},
	TagReceiptedMessageID:       {1, 65},
	TagMSMsgWaitFacilities:      {1, 1},
	TagPrivacyIndicator:         {1, 1},
	TagSourceSubaddress:         {2, 23},
	TagDestSubaddress:           {2, 23},
	TagUserMessageReference:     {2, 2},
	TagUserResponseCode:         {1, 1},
	TagSourcePort:               {2, 2},
	TagDestinationPort:          {2, 2},
	TagSARMsgRefNum:             {2, 2},
	TagLanguageIndicator:        {1, 1},
	TagSARTotalSegments:         {1, 1},
	TagSARSegmentSeqnum:         {1, 1},
	TagSCInterfaceVersion:       {1, 1},
	TagCallbackNumPresInd:       {1, 1},
	TagCallbackNumAtag:          {0, 65},
	TagNumberOfMessages:         {1, 1},
	TagCallbackNum:              {4, 19},
	TagDPFResult:                {1, 1},
	TagSetDPF:                   {1, 1},
	TagMSAvailabilityStatus:     {1, 1},
	TagNetworkErrorCode:         {3, 3},
	TagMessagePayload:           {0, 0xFFFF},
	TagDeliveryFailureReason:    {1, 1},
	TagMoreMessagesToSend:       {1, 1},
	TagMessageState:             {1, 1},
	TagUSSDServiceOp:            {1, 1},
	TagDisplayTime:              {1, 1},
	TagSMSSignal:                {2, 2},
	TagMSValidity:               {1, 1},
	TagAlertOnMessageDelivery:   {0, 0},
	TagITSReplyType:             {1, 1},
	TagITSSessionInfo:           {2, 2},
}

// submitTags are the parameters submit_sm and submit_multi allow
// (sections 4.4.1 and 4.5.1).
var submitTags = tagSet(
	TagUserMessageReference, TagSourcePort, TagSourceAddrSubunit,
	TagDestinationPort, TagDestAddrSubunit, TagSARMsgRefNum,
	TagSARTotalSegments, TagSARSegmentSeqnum, TagMoreMessagesToSend,
	TagPayloadType, TagMessagePayload, TagPrivacyIndicator, TagCallbackNum,
	TagCallbackNumPresInd, TagCallbackNumAtag, TagSourceSubaddress,
	TagDestSubaddress, TagUserResponseCode, TagDisplayTime, TagSMSSignal,
	TagMSValidity, TagMSMsgWaitFacilities, TagNumberOfMessages,
	TagAlertOnMessageDelivery, TagLanguageIndicator, TagITSReplyType,
	TagITSSessionInfo, TagUSSDServiceOp,
)

// allowedTags lists, for the requests an SMSC receives from an ESME, the
// known parameters they may carry; a known parameter outside its set is
// ESME_ROPTPARNOTALLWD. Unknown tags are always kept (section 3.2.5: a
// receiver ignores what it does not support).
//
// deliver_sm, alert_notification and every response come from SMSCs, and
// carriers' SMSCs often speak later versions: for them only the lengths
// of known parameters are checked, so that a receipt is never refused
// for an extra parameter.
var allowedTags = map[CommandID]map[Tag]bool{
	CmdSubmitSM:    submitTags,
	CmdSubmitMulti: submitTags,
	CmdDataSM: tagSet(
		TagSourcePort, TagSourceAddrSubunit, TagSourceNetworkType,
		TagSourceBearerType, TagSourceTelematicsID, TagDestinationPort,
		TagDestAddrSubunit, TagDestNetworkType, TagDestBearerType,
		TagDestTelematicsID, TagSARMsgRefNum, TagSARTotalSegments,
		TagSARSegmentSeqnum, TagMoreMessagesToSend, TagQOSTimeToLive,
		TagPayloadType, TagMessagePayload, TagSetDPF, TagReceiptedMessageID,
		TagMessageState, TagNetworkErrorCode, TagUserMessageReference,
		TagPrivacyIndicator, TagCallbackNum, TagCallbackNumPresInd,
		TagCallbackNumAtag, TagSourceSubaddress, TagDestSubaddress,
		TagUserResponseCode, TagDisplayTime, TagSMSSignal, TagMSValidity,
		TagMSMsgWaitFacilities, TagNumberOfMessages, TagAlertOnMessageDelivery,
		TagLanguageIndicator, TagITSReplyType, TagITSSessionInfo,
	),
}

func tagSet(tags ...Tag) map[Tag]bool {
	m := make(map[Tag]bool, len(tags))
	for _, t := range tags {
		m[t] = true
	}
	return m
}

// checkTLV reports whether t may appear in cmd with its length, as the
// status to answer with and an error; nil when it may.
func checkTLV(cmd CommandID, t TLV) error {
	l, known := tagLens[t.Tag]
	if !known {
		return nil
	}
	if n := len(t.Value); n < l.min || n > l.max {
		return fmt.Errorf("%s: %d octets, want %d to %d: %w", t.Tag, n, l.min, l.max, StatusInvalidParamLength)
	}
	if allowed, strict := allowedTags[cmd]; strict && !allowed[t.Tag] {
		return fmt.Errorf("%s in %s: %w", t.Tag, cmd, StatusOptionalParamNotAllowed)
	}
	return nil
}
