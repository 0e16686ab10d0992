// quorum-qf-executor — a FIX 4.4 acceptor on QuickFIX, the independent implementation that
// Quorum's FIX initiator is tested against (Tests/QuorumNetTests/FIXInteropTests.swift).
//
// It plays a simple venue:
//   - NewOrderSingle with TimeInForce Day (or none): acknowledged (ExecType New) and filled in
//     full at once (ExecType Trade, OrdStatus Filled) at the limit price (market: 100.0000).
//   - NewOrderSingle with TimeInForce GTC: acknowledged and left resting, so that it can be
//     cancelled or replaced.
//   - OrderCancelRequest / OrderCancelReplaceRequest on a resting order: Canceled / Replaced;
//     on anything else: OrderCancelReject (unknown order).
//   - A ClOrdID seen before (a PossDup resend of an order already executed) is ignored.
// Faults the tests ask for:
//   --disconnect-after N   drop the TCP connection (no Logout) after the Nth order
//   --gap-after N          after the Nth order, skip 5 outbound sequence numbers so the
//                          initiator sees a gap and must send a ResendRequest
// It prints one line per event on stdout (READY, LOGON, ORDER, CANCEL, REPLACE, LOGOUT,
// DISCONNECTED, GAP), flushed, so a test can follow along; it exits on SIGTERM/SIGINT or
// when stdin closes.
//
// Build: make interop   (g++ -std=c++14 … -lquickfix; QuickFIX 1.15 headers use dynamic
// exception specifications, which C++17 removed).

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/MessageCracker.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <quickfix/fix44/OrderCancelReject.h>
#include <quickfix/fix44/OrderCancelReplaceRequest.h>
#include <quickfix/fix44/OrderCancelRequest.h>
#include <quickfix/fix44/OrderStatusRequest.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <poll.h>
#include <unistd.h>

namespace {

std::atomic<bool> stopRequested{false};
void onSignal(int) { stopRequested = true; }

std::mutex outputLock;
void say(const std::string& line) {
  std::lock_guard<std::mutex> guard(outputLock);
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

struct Options {
  int port = 0;
  std::string sender = "EXEC";
  std::string target = "QUORUM";
  std::string dictionary;
  std::string store = "/tmp/quorum-qf-executor";
  long disconnectAfter = 0;
  long gapAfter = 0;
};

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --port P --dictionary FIX44.xml [--store DIR] [--sender ID] [--target ID]\n"
               "          [--disconnect-after N] [--gap-after N]\n",
               argv0);
}

struct RestingOrder {
  std::string symbol;
  char side;
  double quantity;
  double price;
  std::string orderID;
};

class Executor : public FIX::Application, public FIX::MessageCracker {
 public:
  explicit Executor(const Options& options) : options_(options) {}

  // Faults are carried out from the main thread: QuickFIX holds the session's lock while it
  // calls fromApp.
  std::atomic<bool> disconnectPending{false};
  std::atomic<bool> gapPending{false};
  FIX::SessionID lastSession;

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override { say("LOGON " + id.toString()); }
  void onLogout(const FIX::SessionID& id) override { say("LOGOUT " + id.toString()); }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& message, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    FIX::MsgType type;
    message.getHeader().getField(type);
    if (type == FIX::MsgType_ResendRequest) say("RESEND_REQUEST");
    if (type == FIX::MsgType_Reject) say("REJECT_RECEIVED");
  }
  void fromApp(const FIX::Message& message, const FIX::SessionID& id) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    crack(message, id);
  }

  void onMessage(const FIX44::NewOrderSingle& order, const FIX::SessionID& id) override {
    FIX::ClOrdID clOrdID;
    FIX::Symbol symbol;
    FIX::Side side;
    FIX::OrderQty quantity;
    FIX::OrdType ordType;
    order.get(clOrdID);
    // A resent order (PossDup) that already arrived once is not executed twice.
    if (!seen_.insert(clOrdID.getValue()).second) {
      say("DUPLICATE " + clOrdID.getValue());
      return;
    }
    order.get(symbol);
    order.get(side);
    order.get(quantity);
    order.get(ordType);
    double price = 100.0;
    if (ordType == FIX::OrdType_LIMIT) {
      FIX::Price limit;
      order.get(limit);
      price = limit;
    }
    char tif = FIX::TimeInForce_DAY;
    if (order.isSetField(FIX::FIELD::TimeInForce)) {
      FIX::TimeInForce field;
      order.get(field);
      tif = field;
    }
    const std::string orderID = nextOrderID();
    send(report(orderID, clOrdID, symbol, side, FIX::ExecType_NEW, FIX::OrdStatus_NEW, quantity, 0, 0, 0), id);
    if (tif == FIX::TimeInForce_GOOD_TILL_CANCEL) {
      resting_[clOrdID.getValue()] = RestingOrder{symbol.getValue(), side.getValue(), quantity.getValue(), price, orderID};
      known_[clOrdID.getValue()] = Known{orderID, FIX::OrdStatus_NEW, quantity.getValue(), 0, price};
    } else {
      known_[clOrdID.getValue()] = Known{orderID, FIX::OrdStatus_FILLED, quantity.getValue(), quantity.getValue(), price};
      send(report(orderID, clOrdID, symbol, side, FIX::ExecType_TRADE, FIX::OrdStatus_FILLED, 0, quantity,
                  quantity, price),
           id);
    }
    ordersSeen_ += 1;
    say("ORDER " + clOrdID.getValue() + " " + std::to_string(ordersSeen_));
    lastSession = id;
    if (options_.disconnectAfter > 0 && ordersSeen_ == options_.disconnectAfter) disconnectPending = true;
    if (options_.gapAfter > 0 && ordersSeen_ == options_.gapAfter) gapPending = true;
  }

  void onMessage(const FIX44::OrderCancelRequest& request, const FIX::SessionID& id) override {
    FIX::ClOrdID clOrdID;
    FIX::OrigClOrdID original;
    FIX::Symbol symbol;
    FIX::Side side;
    request.get(clOrdID);
    request.get(original);
    request.get(symbol);
    request.get(side);
    auto found = resting_.find(original.getValue());
    if (found == resting_.end()) {
      send(cancelReject(clOrdID, original, FIX::CxlRejResponseTo_ORDER_CANCEL_REQUEST), id);
      say("CANCEL_REJECT " + original.getValue());
      return;
    }
    FIX44::ExecutionReport r = report(found->second.orderID, clOrdID, symbol, side, FIX::ExecType_CANCELED,
                                      FIX::OrdStatus_CANCELED, 0, 0, 0, 0);
    r.set(original);
    send(r, id);
    resting_.erase(found);
    known_[original.getValue()].status = FIX::OrdStatus_CANCELED;
    say("CANCEL " + original.getValue());
  }

  void onMessage(const FIX44::OrderCancelReplaceRequest& request, const FIX::SessionID& id) override {
    FIX::ClOrdID clOrdID;
    FIX::OrigClOrdID original;
    FIX::Symbol symbol;
    FIX::Side side;
    FIX::OrderQty quantity;
    request.get(clOrdID);
    request.get(original);
    request.get(symbol);
    request.get(side);
    request.get(quantity);
    auto found = resting_.find(original.getValue());
    if (found == resting_.end()) {
      send(cancelReject(clOrdID, original, FIX::CxlRejResponseTo_ORDER_CANCEL_REPLACE_REQUEST), id);
      say("REPLACE_REJECT " + original.getValue());
      return;
    }
    RestingOrder order = found->second;
    resting_.erase(found);
    order.quantity = quantity;
    if (request.isSetField(FIX::FIELD::Price)) {
      FIX::Price price;
      request.get(price);
      order.price = price;
    }
    resting_[clOrdID.getValue()] = order;
    known_[original.getValue()].status = FIX::OrdStatus_REPLACED;
    known_[clOrdID.getValue()] = Known{order.orderID, FIX::OrdStatus_NEW, order.quantity, 0, order.price};
    FIX44::ExecutionReport r = report(order.orderID, clOrdID, symbol, side, FIX::ExecType_REPLACED,
                                      FIX::OrdStatus_NEW, quantity, 0, 0, 0);
    r.set(original);
    r.set(FIX::Price(order.price));
    send(r, id);
    say("REPLACE " + original.getValue() + " " + clOrdID.getValue());
  }

  // Order status (35=H): ExecType I with the order's state; an unknown ClOrdID gets
  // OrdStatus 8 (rejected) with OrdRejReason 5 (unknown order).
  void onMessage(const FIX44::OrderStatusRequest& request, const FIX::SessionID& id) override {
    FIX::ClOrdID clOrdID;
    FIX::Symbol symbol;
    FIX::Side side;
    request.get(clOrdID);
    request.get(symbol);
    request.get(side);
    auto found = known_.find(clOrdID.getValue());
    if (found == known_.end()) {
      FIX44::ExecutionReport r = report("NONE", clOrdID, symbol, side, FIX::ExecType_ORDER_STATUS,
                                        FIX::OrdStatus_REJECTED, 0, 0, 0, 0);
      r.set(FIX::OrdRejReason(FIX::OrdRejReason_UNKNOWN_ORDER));
      send(r, id);
      say("STATUS_UNKNOWN " + clOrdID.getValue());
      return;
    }
    const Known& k = found->second;
    const double leaves = k.status == FIX::OrdStatus_NEW ? k.quantity - k.cumulative : 0;
    send(report(k.orderID, clOrdID, symbol, side, FIX::ExecType_ORDER_STATUS, k.status, leaves, k.cumulative, 0,
                k.price),
         id);
    say("STATUS " + clOrdID.getValue());
  }

 private:
  struct Known {
    std::string orderID;
    char status;
    double quantity;
    double cumulative;
    double price;
  };
  const Options options_;
  long ordersSeen_ = 0;
  long nextOrder_ = 0;
  long nextExec_ = 0;
  std::map<std::string, RestingOrder> resting_;
  std::map<std::string, Known> known_;
  std::set<std::string> seen_;

  std::string nextOrderID() { return "O" + std::to_string(++nextOrder_); }

  FIX44::ExecutionReport report(const std::string& orderID, const FIX::ClOrdID& clOrdID, const FIX::Symbol& symbol,
                                const FIX::Side& side, char execType, char status, double leaves, double cumulative,
                                double lastQuantity, double lastPrice) {
    FIX44::ExecutionReport r(FIX::OrderID(orderID), FIX::ExecID("E" + std::to_string(++nextExec_)),
                             FIX::ExecType(execType), FIX::OrdStatus(status), side, FIX::LeavesQty(leaves),
                             FIX::CumQty(cumulative), FIX::AvgPx(cumulative > 0 ? lastPrice : 0));
    r.set(clOrdID);
    r.set(symbol);
    if (lastQuantity > 0) {
      r.set(FIX::LastQty(lastQuantity));
      r.set(FIX::LastPx(lastPrice));
    }
    return r;
  }

  FIX44::OrderCancelReject cancelReject(const FIX::ClOrdID& clOrdID, const FIX::OrigClOrdID& original,
                                        char responseTo) {
    FIX44::OrderCancelReject r(FIX::OrderID("NONE"), clOrdID, original, FIX::OrdStatus(FIX::OrdStatus_REJECTED),
                               FIX::CxlRejResponseTo(responseTo));
    r.set(FIX::CxlRejReason(FIX::CxlRejReason_UNKNOWN_ORDER));
    return r;
  }

  static void send(FIX::Message message, const FIX::SessionID& id) {
    try {
      FIX::Session::sendToTarget(message, id);
    } catch (const FIX::SessionNotFound&) {
      say("SEND_FAILED");
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; i++) {
    const std::string flag = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: %s needs a value\n", argv[0], name);
        usage(argv[0]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--port") options.port = std::atoi(value("--port").c_str());
    else if (flag == "--dictionary") options.dictionary = value("--dictionary");
    else if (flag == "--store") options.store = value("--store");
    else if (flag == "--sender") options.sender = value("--sender");
    else if (flag == "--target") options.target = value("--target");
    else if (flag == "--disconnect-after") options.disconnectAfter = std::atol(value("--disconnect-after").c_str());
    else if (flag == "--gap-after") options.gapAfter = std::atol(value("--gap-after").c_str());
    else if (flag == "--help" || flag == "-h") {
      usage(argv[0]);
      return 0;
    } else {
      std::fprintf(stderr, "%s: unknown option %s\n", argv[0], flag.c_str());
      usage(argv[0]);
      return 2;
    }
  }
  if (options.port <= 0 || options.port > 65535 || options.dictionary.empty()) {
    usage(argv[0]);
    return 2;
  }

  std::ostringstream config;
  config << "[DEFAULT]\n"
         << "ConnectionType=acceptor\n"
         << "SocketAcceptPort=" << options.port << "\n"
         << "SocketReuseAddress=Y\n"
         << "StartTime=00:00:00\nEndTime=00:00:00\n"
         << "UseDataDictionary=Y\nDataDictionary=" << options.dictionary << "\n"
         << "FileStorePath=" << options.store << "/store\n"
         << "FileLogPath=" << options.store << "/log\n"
         << "ValidateUserDefinedFields=N\n"
         << "[SESSION]\nBeginString=FIX.4.4\n"
         << "SenderCompID=" << options.sender << "\nTargetCompID=" << options.target << "\n";
  std::istringstream configStream(config.str());

  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    FIX::SessionSettings settings(configStream);
    Executor executor(options);
    FIX::FileStoreFactory stores(settings);
    FIX::FileLogFactory logs(settings);
    FIX::SocketAcceptor acceptor(executor, stores, settings, logs);
    acceptor.start();
    say("READY " + std::to_string(options.port));
    while (!stopRequested) {
      pollfd in{0, POLLIN, 0};
      if (poll(&in, 1, 1) > 0) {
        char scratch[64];
        if (read(0, scratch, sizeof scratch) <= 0) break;  // the test went away
      }
      if (executor.disconnectPending.exchange(false)) {
        if (FIX::Session* session = FIX::Session::lookupSession(executor.lastSession)) {
          session->disconnect();
          say("DISCONNECTED");
        }
      }
      if (executor.gapPending.exchange(false)) {
        if (FIX::Session* session = FIX::Session::lookupSession(executor.lastSession)) {
          session->setNextSenderMsgSeqNum(session->getExpectedSenderNum() + 5);
          say("GAP 5");
        }
      }
    }
    acceptor.stop();
  } catch (const FIX::Exception& error) {
    std::fprintf(stderr, "quorum-qf-executor: %s\n", error.what());
    return 1;
  }
  return 0;
}
