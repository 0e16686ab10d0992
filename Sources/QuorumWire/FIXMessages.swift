// The thirteen FIX 4.4 messages Quorum speaks, as plain values. Each writes its body fields in
// the order listed in its doc comment and reads them back from a validated `FIXMessageView`
// (fields a valid message must carry are read with a harmless default only to avoid traps).

/// Logon (A): 98 EncryptMethod, 108 HeartBtInt, 141 ResetSeqNumFlag when set.
@frozen public struct FIXLogon: FIXMessageBody {
    public static var msgType: FIXMsgType { .logon }
    public var encryptMethod: Int
    /// Seconds.
    public var heartBtInt: Int
    public var resetSeqNumFlag: Bool

    @inlinable public init(heartBtInt: Int, resetSeqNumFlag: Bool = false, encryptMethod: Int = 0) {
        self.heartBtInt = heartBtInt
        self.resetSeqNumFlag = resetSeqNumFlag
        self.encryptMethod = encryptMethod
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        w.uint(FIX.Tag.encryptMethod, UInt64(encryptMethod))
        w.uint(FIX.Tag.heartBtInt, UInt64(heartBtInt))
        if resetSeqNumFlag { w.bool(FIX.Tag.resetSeqNumFlag, true) }
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        encryptMethod = m.int(FIX.Tag.encryptMethod) ?? 0
        heartBtInt = m.int(FIX.Tag.heartBtInt) ?? 0
        resetSeqNumFlag = m.bool(FIX.Tag.resetSeqNumFlag) ?? false
    }
}

/// Heartbeat (0): 112 TestReqID when answering a TestRequest.
@frozen public struct FIXHeartbeat: FIXMessageBody {
    public static var msgType: FIXMsgType { .heartbeat }
    public var testReqID: FIXString?

    @inlinable public init(testReqID: FIXString? = nil) { self.testReqID = testReqID }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        if let id = testReqID { w.string(FIX.Tag.testReqID, id) }
    }

    @inlinable public init(_ m: borrowing FIXMessageView) { testReqID = m.string(FIX.Tag.testReqID) }
}

/// TestRequest (1): 112 TestReqID.
@frozen public struct FIXTestRequest: FIXMessageBody {
    public static var msgType: FIXMsgType { .testRequest }
    public var testReqID: FIXString

    @inlinable public init(testReqID: FIXString) { self.testReqID = testReqID }
    @inlinable public func _writeFields(_ w: inout _FIXWriter) { w.string(FIX.Tag.testReqID, testReqID) }
    @inlinable public init(_ m: borrowing FIXMessageView) { testReqID = m.string(FIX.Tag.testReqID) ?? FIXString() }
}

/// ResendRequest (2): 7 BeginSeqNo, 16 EndSeqNo (0 = everything after BeginSeqNo).
@frozen public struct FIXResendRequest: FIXMessageBody {
    public static var msgType: FIXMsgType { .resendRequest }
    public var beginSeqNo: UInt64
    public var endSeqNo: UInt64

    @inlinable public init(beginSeqNo: UInt64, endSeqNo: UInt64) {
        self.beginSeqNo = beginSeqNo
        self.endSeqNo = endSeqNo
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        w.uint(FIX.Tag.beginSeqNo, beginSeqNo)
        w.uint(FIX.Tag.endSeqNo, endSeqNo)
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        beginSeqNo = m.uint(FIX.Tag.beginSeqNo) ?? 0
        endSeqNo = m.uint(FIX.Tag.endSeqNo) ?? 0
    }
}

/// Reject (3): 45 RefSeqNum, 371 RefTagID, 372 RefMsgType, 373 SessionRejectReason, 58 Text;
/// all but RefSeqNum optional.
@frozen public struct FIXReject: FIXMessageBody {
    public static var msgType: FIXMsgType { .reject }
    public var refSeqNum: UInt64
    public var refTagID: Int?
    public var refMsgType: FIXString?
    public var reason: FIXSessionRejectReason?
    public var text: FIXString?

    @inlinable public init(refSeqNum: UInt64, refTagID: Int? = nil, refMsgType: FIXString? = nil,
                           reason: FIXSessionRejectReason? = nil, text: FIXString? = nil) {
        self.refSeqNum = refSeqNum
        self.refTagID = refTagID
        self.refMsgType = refMsgType
        self.reason = reason
        self.text = text
    }

    /// The Reject that answers `rejection` (RefTagID omitted when no tag could be read).
    @inlinable public init(_ rejection: FIXRejection, text: FIXString? = nil) {
        self.init(refSeqNum: rejection.refSeqNum, refTagID: rejection.refTagID > 0 ? rejection.refTagID : nil,
                  refMsgType: rejection.refMsgType.isEmpty ? nil : rejection.refMsgType,
                  reason: rejection.reason, text: text)
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        w.uint(FIX.Tag.refSeqNum, refSeqNum)
        if let t = refTagID { w.uint(FIX.Tag.refTagID, UInt64(t)) }
        if let t = refMsgType { w.string(FIX.Tag.refMsgType, t) }
        if let r = reason { w.uint(FIX.Tag.sessionRejectReason, UInt64(r.rawValue)) }
        if let t = text { w.string(FIX.Tag.text, t) }
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        refSeqNum = m.uint(FIX.Tag.refSeqNum) ?? 0
        refTagID = m.int(FIX.Tag.refTagID)
        refMsgType = m.string(FIX.Tag.refMsgType)
        reason = m.int(FIX.Tag.sessionRejectReason).map { FIXSessionRejectReason(rawValue: $0) ?? .other }
        text = m.string(FIX.Tag.text)
    }
}

/// SequenceReset (4): 123 GapFillFlag when a gap fill, 36 NewSeqNo.
@frozen public struct FIXSequenceReset: FIXMessageBody {
    public static var msgType: FIXMsgType { .sequenceReset }
    public var gapFillFlag: Bool
    public var newSeqNo: UInt64

    @inlinable public init(gapFillFlag: Bool, newSeqNo: UInt64) {
        self.gapFillFlag = gapFillFlag
        self.newSeqNo = newSeqNo
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        if gapFillFlag { w.bool(FIX.Tag.gapFillFlag, true) }
        w.uint(FIX.Tag.newSeqNo, newSeqNo)
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        gapFillFlag = m.bool(FIX.Tag.gapFillFlag) ?? false
        newSeqNo = m.uint(FIX.Tag.newSeqNo) ?? 0
    }
}

/// Logout (5): 58 Text optional.
@frozen public struct FIXLogout: FIXMessageBody {
    public static var msgType: FIXMsgType { .logout }
    public var text: FIXString?

    @inlinable public init(text: FIXString? = nil) { self.text = text }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        if let t = text { w.string(FIX.Tag.text, t) }
    }

    @inlinable public init(_ m: borrowing FIXMessageView) { text = m.string(FIX.Tag.text) }
}

/// NewOrderSingle (D): 11 ClOrdID, 55 Symbol, 54 Side, 60 TransactTime, 38 OrderQty,
/// 40 OrdType, 44 Price (limit orders), 59 TimeInForce (optional).
@frozen public struct FIXNewOrderSingle: FIXMessageBody {
    public static var msgType: FIXMsgType { .newOrderSingle }
    public var clOrdID: FIXString
    public var symbol: FIXString
    public var side: FIXSide
    /// Nanoseconds since the Unix epoch.
    public var transactTime: UInt64
    public var orderQty: Qty
    public var ordType: FIXOrdType
    /// Required (and only written) for limit orders.
    public var price: Price?
    public var timeInForce: FIXTimeInForce?

    @inlinable public init(clOrdID: FIXString, symbol: FIXString, side: FIXSide, transactTime: UInt64,
                           orderQty: Qty, ordType: FIXOrdType, price: Price?, timeInForce: FIXTimeInForce? = nil) {
        self.clOrdID = clOrdID
        self.symbol = symbol
        self.side = side
        self.transactTime = transactTime
        self.orderQty = orderQty
        self.ordType = ordType
        self.price = price
        self.timeInForce = timeInForce
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        w.string(FIX.Tag.clOrdID, clOrdID)
        w.string(FIX.Tag.symbol, symbol)
        w.char(FIX.Tag.side, side.rawValue)
        w.time(FIX.Tag.transactTime, transactTime)
        w.qty(FIX.Tag.orderQty, orderQty)
        w.char(FIX.Tag.ordType, ordType.rawValue)
        if ordType == .limit, let p = price { w.price(FIX.Tag.price, p) }
        if let t = timeInForce { w.char(FIX.Tag.timeInForce, t.rawValue) }
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        clOrdID = m.string(FIX.Tag.clOrdID) ?? FIXString()
        symbol = m.string(FIX.Tag.symbol) ?? FIXString()
        side = m.char(FIX.Tag.side).flatMap(FIXSide.init(rawValue:)) ?? .buy
        transactTime = m.time(FIX.Tag.transactTime) ?? 0
        orderQty = m.qty(FIX.Tag.orderQty) ?? .zero
        ordType = m.char(FIX.Tag.ordType).flatMap(FIXOrdType.init(rawValue:)) ?? .limit
        price = m.price(FIX.Tag.price)
        timeInForce = m.char(FIX.Tag.timeInForce).flatMap(FIXTimeInForce.init(rawValue:))
    }
}

/// OrderCancelRequest (F): 41 OrigClOrdID, 11 ClOrdID, 55 Symbol, 54 Side, 60 TransactTime,
/// 38 OrderQty (optional).
@frozen public struct FIXOrderCancelRequest: FIXMessageBody {
    public static var msgType: FIXMsgType { .orderCancelRequest }
    public var origClOrdID: FIXString
    public var clOrdID: FIXString
    public var symbol: FIXString
    public var side: FIXSide
    public var transactTime: UInt64
    public var orderQty: Qty?

    @inlinable public init(origClOrdID: FIXString, clOrdID: FIXString, symbol: FIXString, side: FIXSide,
                           transactTime: UInt64, orderQty: Qty? = nil) {
        self.origClOrdID = origClOrdID
        self.clOrdID = clOrdID
        self.symbol = symbol
        self.side = side
        self.transactTime = transactTime
        self.orderQty = orderQty
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        w.string(FIX.Tag.origClOrdID, origClOrdID)
        w.string(FIX.Tag.clOrdID, clOrdID)
        w.string(FIX.Tag.symbol, symbol)
        w.char(FIX.Tag.side, side.rawValue)
        w.time(FIX.Tag.transactTime, transactTime)
        if let q = orderQty { w.qty(FIX.Tag.orderQty, q) }
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        origClOrdID = m.string(FIX.Tag.origClOrdID) ?? FIXString()
        clOrdID = m.string(FIX.Tag.clOrdID) ?? FIXString()
        symbol = m.string(FIX.Tag.symbol) ?? FIXString()
        side = m.char(FIX.Tag.side).flatMap(FIXSide.init(rawValue:)) ?? .buy
        transactTime = m.time(FIX.Tag.transactTime) ?? 0
        orderQty = m.qty(FIX.Tag.orderQty)
    }
}

/// OrderCancelReplaceRequest (G): 41 OrigClOrdID, 11 ClOrdID, 55 Symbol, 54 Side,
/// 60 TransactTime, 38 OrderQty, 40 OrdType, 44 Price (limit), 59 TimeInForce (optional).
@frozen public struct FIXOrderCancelReplaceRequest: FIXMessageBody {
    public static var msgType: FIXMsgType { .orderCancelReplaceRequest }
    public var origClOrdID: FIXString
    public var clOrdID: FIXString
    public var symbol: FIXString
    public var side: FIXSide
    public var transactTime: UInt64
    public var orderQty: Qty
    public var ordType: FIXOrdType
    public var price: Price?
    public var timeInForce: FIXTimeInForce?

    @inlinable public init(origClOrdID: FIXString, clOrdID: FIXString, symbol: FIXString, side: FIXSide,
                           transactTime: UInt64, orderQty: Qty, ordType: FIXOrdType, price: Price?,
                           timeInForce: FIXTimeInForce? = nil) {
        self.origClOrdID = origClOrdID
        self.clOrdID = clOrdID
        self.symbol = symbol
        self.side = side
        self.transactTime = transactTime
        self.orderQty = orderQty
        self.ordType = ordType
        self.price = price
        self.timeInForce = timeInForce
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        w.string(FIX.Tag.origClOrdID, origClOrdID)
        w.string(FIX.Tag.clOrdID, clOrdID)
        w.string(FIX.Tag.symbol, symbol)
        w.char(FIX.Tag.side, side.rawValue)
        w.time(FIX.Tag.transactTime, transactTime)
        w.qty(FIX.Tag.orderQty, orderQty)
        w.char(FIX.Tag.ordType, ordType.rawValue)
        if ordType == .limit, let p = price { w.price(FIX.Tag.price, p) }
        if let t = timeInForce { w.char(FIX.Tag.timeInForce, t.rawValue) }
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        origClOrdID = m.string(FIX.Tag.origClOrdID) ?? FIXString()
        clOrdID = m.string(FIX.Tag.clOrdID) ?? FIXString()
        symbol = m.string(FIX.Tag.symbol) ?? FIXString()
        side = m.char(FIX.Tag.side).flatMap(FIXSide.init(rawValue:)) ?? .buy
        transactTime = m.time(FIX.Tag.transactTime) ?? 0
        orderQty = m.qty(FIX.Tag.orderQty) ?? .zero
        ordType = m.char(FIX.Tag.ordType).flatMap(FIXOrdType.init(rawValue:)) ?? .limit
        price = m.price(FIX.Tag.price)
        timeInForce = m.char(FIX.Tag.timeInForce).flatMap(FIXTimeInForce.init(rawValue:))
    }
}

/// ExecutionReport (8): 37 OrderID, 11 ClOrdID, 41 OrigClOrdID (cancels and replaces),
/// 17 ExecID, 150 ExecType, 39 OrdStatus, 55 Symbol, 54 Side, 38 OrderQty, 32 LastQty and
/// 31 LastPx (trades), 151 LeavesQty, 14 CumQty, 6 AvgPx, 103 OrdRejReason (optional),
/// 58 Text (optional).
///
/// The answer to an OrderStatusRequest is ExecType I (order status) with the order's
/// OrdStatus, CumQty, LeavesQty and AvgPx; for an order the venue does not know, OrdStatus 8
/// (rejected) with OrdRejReason 5 (unknown order), as FIX 4.4 volume 4 describes.
@frozen public struct FIXExecutionReport: FIXMessageBody {
    public static var msgType: FIXMsgType { .executionReport }
    public var orderID: FIXString
    public var clOrdID: FIXString?
    public var origClOrdID: FIXString?
    public var execID: FIXString
    public var execType: FIXExecType
    public var ordStatus: FIXOrdStatus
    public var symbol: FIXString
    public var side: FIXSide
    public var orderQty: Qty?
    public var lastQty: Qty?
    public var lastPx: Price?
    public var leavesQty: Qty
    public var cumQty: Qty
    public var avgPx: Price
    /// 103: why an order was rejected (`FIXExecutionReport.unknownOrder` = 5, …).
    public var ordRejReason: Int?
    public var text: FIXString?

    /// OrdRejReason 5: the venue does not know the order.
    public static let unknownOrder = 5

    @inlinable public init(orderID: FIXString, clOrdID: FIXString?, origClOrdID: FIXString? = nil,
                           execID: FIXString, execType: FIXExecType, ordStatus: FIXOrdStatus,
                           symbol: FIXString, side: FIXSide, orderQty: Qty? = nil,
                           lastQty: Qty? = nil, lastPx: Price? = nil,
                           leavesQty: Qty, cumQty: Qty, avgPx: Price, ordRejReason: Int? = nil, text: FIXString? = nil) {
        self.orderID = orderID
        self.clOrdID = clOrdID
        self.origClOrdID = origClOrdID
        self.execID = execID
        self.execType = execType
        self.ordStatus = ordStatus
        self.symbol = symbol
        self.side = side
        self.orderQty = orderQty
        self.lastQty = lastQty
        self.lastPx = lastPx
        self.leavesQty = leavesQty
        self.cumQty = cumQty
        self.avgPx = avgPx
        self.ordRejReason = ordRejReason
        self.text = text
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        w.string(FIX.Tag.orderID, orderID)
        if let c = clOrdID { w.string(FIX.Tag.clOrdID, c) }
        if let c = origClOrdID { w.string(FIX.Tag.origClOrdID, c) }
        w.string(FIX.Tag.execID, execID)
        w.char(FIX.Tag.execType, execType.rawValue)
        w.char(FIX.Tag.ordStatus, ordStatus.rawValue)
        w.string(FIX.Tag.symbol, symbol)
        w.char(FIX.Tag.side, side.rawValue)
        if let q = orderQty { w.qty(FIX.Tag.orderQty, q) }
        if let q = lastQty { w.qty(FIX.Tag.lastQty, q) }
        if let p = lastPx { w.price(FIX.Tag.lastPx, p) }
        w.qty(FIX.Tag.leavesQty, leavesQty)
        w.qty(FIX.Tag.cumQty, cumQty)
        w.price(FIX.Tag.avgPx, avgPx)
        if let r = ordRejReason { w.uint(FIX.Tag.ordRejReason, UInt64(r)) }
        if let t = text { w.string(FIX.Tag.text, t) }
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        // By field number: the hot decode of the session's busiest message.
        orderID = m._string(field: _FIXField.orderID) ?? FIXString()
        clOrdID = m._string(field: _FIXField.clOrdID)
        origClOrdID = m._string(field: _FIXField.origClOrdID)
        execID = m._string(field: _FIXField.execID) ?? FIXString()
        execType = m._char(field: _FIXField.execType).flatMap(FIXExecType.init(rawValue:)) ?? .new
        ordStatus = m._char(field: _FIXField.ordStatus).flatMap(FIXOrdStatus.init(rawValue:)) ?? .new
        symbol = m._string(field: _FIXField.symbol) ?? FIXString()
        side = m._char(field: _FIXField.side).flatMap(FIXSide.init(rawValue:)) ?? .buy
        orderQty = m._qty(field: _FIXField.orderQty)
        lastQty = m._qty(field: _FIXField.lastQty)
        lastPx = m._price(field: _FIXField.lastPx)
        leavesQty = m._qty(field: _FIXField.leavesQty) ?? .zero
        cumQty = m._qty(field: _FIXField.cumQty) ?? .zero
        avgPx = m._price(field: _FIXField.avgPx) ?? .zero
        ordRejReason = m.int(FIX.Tag.ordRejReason)
        text = m._string(field: _FIXField.text)
    }
}

/// OrderCancelReject (9): 37 OrderID, 11 ClOrdID, 41 OrigClOrdID, 39 OrdStatus,
/// 434 CxlRejResponseTo, 102 CxlRejReason (optional), 58 Text (optional).
@frozen public struct FIXOrderCancelReject: FIXMessageBody {
    public static var msgType: FIXMsgType { .orderCancelReject }
    public var orderID: FIXString
    public var clOrdID: FIXString
    public var origClOrdID: FIXString
    public var ordStatus: FIXOrdStatus
    public var cxlRejResponseTo: FIXCxlRejResponseTo
    public var cxlRejReason: Int?
    public var text: FIXString?

    @inlinable public init(orderID: FIXString, clOrdID: FIXString, origClOrdID: FIXString,
                           ordStatus: FIXOrdStatus, cxlRejResponseTo: FIXCxlRejResponseTo,
                           cxlRejReason: Int? = nil, text: FIXString? = nil) {
        self.orderID = orderID
        self.clOrdID = clOrdID
        self.origClOrdID = origClOrdID
        self.ordStatus = ordStatus
        self.cxlRejResponseTo = cxlRejResponseTo
        self.cxlRejReason = cxlRejReason
        self.text = text
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        w.string(FIX.Tag.orderID, orderID)
        w.string(FIX.Tag.clOrdID, clOrdID)
        w.string(FIX.Tag.origClOrdID, origClOrdID)
        w.char(FIX.Tag.ordStatus, ordStatus.rawValue)
        w.char(FIX.Tag.cxlRejResponseTo, cxlRejResponseTo.rawValue)
        if let r = cxlRejReason { w.uint(FIX.Tag.cxlRejReason, UInt64(r)) }
        if let t = text { w.string(FIX.Tag.text, t) }
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        orderID = m.string(FIX.Tag.orderID) ?? FIXString()
        clOrdID = m.string(FIX.Tag.clOrdID) ?? FIXString()
        origClOrdID = m.string(FIX.Tag.origClOrdID) ?? FIXString()
        ordStatus = m.char(FIX.Tag.ordStatus).flatMap(FIXOrdStatus.init(rawValue:)) ?? .new
        cxlRejResponseTo = m.char(FIX.Tag.cxlRejResponseTo).flatMap(FIXCxlRejResponseTo.init(rawValue:))
            ?? .cancelRequest
        cxlRejReason = m.int(FIX.Tag.cxlRejReason)
        text = m.string(FIX.Tag.text)
    }
}

/// OrderStatusRequest (H): 37 OrderID (optional), 11 ClOrdID, 55 Symbol, 54 Side. The venue
/// answers with an ExecutionReport, ExecType I (see `FIXExecutionReport`). Recovery sends one
/// per order it believes open, to learn what happened while it was down.
@frozen public struct FIXOrderStatusRequest: FIXMessageBody {
    public static var msgType: FIXMsgType { .orderStatusRequest }
    public var orderID: FIXString?
    public var clOrdID: FIXString
    public var symbol: FIXString
    public var side: FIXSide

    @inlinable public init(orderID: FIXString? = nil, clOrdID: FIXString, symbol: FIXString, side: FIXSide) {
        self.orderID = orderID
        self.clOrdID = clOrdID
        self.symbol = symbol
        self.side = side
    }

    @inlinable public func _writeFields(_ w: inout _FIXWriter) {
        if let o = orderID { w.string(FIX.Tag.orderID, o) }
        w.string(FIX.Tag.clOrdID, clOrdID)
        w.string(FIX.Tag.symbol, symbol)
        w.char(FIX.Tag.side, side.rawValue)
    }

    @inlinable public init(_ m: borrowing FIXMessageView) {
        orderID = m.string(FIX.Tag.orderID)
        clOrdID = m.string(FIX.Tag.clOrdID) ?? FIXString()
        symbol = m.string(FIX.Tag.symbol) ?? FIXString()
        side = m.char(FIX.Tag.side).flatMap(FIXSide.init(rawValue:)) ?? .buy
    }
}
