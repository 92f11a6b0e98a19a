"""FakeGateway: a market-data gateway that behaves like vnpy_ctp's.

Setting keys (vnpy_ctp's, plus test knobs):
  用户名, 密码, 经纪商代码, 行情服务器   as vnpy_ctp (密码 must be given)
  tick_ms            period of each subscribed contract's ticks (100)
  login_ms           delay to "connected" and on to "logged in" (50)
  clock_start        exchange clock at login, ISO time in China time
                     ("2025-01-02T23:59:59.500"); default: the real clock
  disconnect_after_ms  drop the front this long after login (none), with
                     reason 4097, and log in again reconnect_ms later
  reconnect_ms       (300)
  forget_subscriptions  a reconnect loses the subscriptions (true): the
                     bridge must subscribe again
  volume_reset_after  ticks of a contract after which its volume restarts
                     from a small number, like a new trading day (none)
  login_error        refuse the login (false)
  td_auth_error      the trading server refuses the authentication, as
                     vnpy_ctp logs it, while market data logs in (false)
  td_login_error     the trading server refuses the login with this CTP
                     error code, as vnpy_ctp's write_error logs it
                     ("交易服务器登录失败，代码：3，信息：..."), while market
                     data logs in (none); td_error_msg: its 信息 (CTP's
                     text of the code by default)
  raise_in_connect   connect() raises KeyError('经纪商代码') (false)
  unknown_symbols    symbols the front does not know: subscribe() raises
                     KeyError(symbol) for them, as gateways that look a
                     contract up before subscribing do ([])

Each tick's name is "SYMBOL YYYYMMDD HH:MM:SS.mmm" in China time, so a
test can check the bridge's UTC conversion against its own arithmetic.
"""
import sys
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from vnpy.trader.gateway import BaseGateway
from vnpy.trader.object import TickData

CHINA_TZ = ZoneInfo("Asia/Shanghai")
MAX_FLOAT = sys.float_info.max
WAIT_STEP_S = 0.01
# CTP's texts of some login error codes (its error.xml).
CTP_ERRORS = {3: "不合法的登录", 7: "还没有初始化", 8: "前置不活跃"}


class FakeGateway(BaseGateway):
    default_name = "FAKE"
    default_setting = {"用户名": "", "密码": "", "经纪商代码": "", "行情服务器": ""}

    def __init__(self, event_engine, gateway_name):
        super().__init__(event_engine, gateway_name)
        self.lock = threading.Lock()
        self.subscribed = {}        # symbol -> exchange
        self.logged_in = False
        self.active = False
        self.unknown = set()
        self.thread = None

    # -- the gateway interface -----------------------------------------
    def connect(self, setting):
        if setting.get("raise_in_connect"):
            raise KeyError("经纪商代码")
        self.password = setting["密码"]
        self.tick_s = setting.get("tick_ms", 100) / 1000.0
        self.login_s = setting.get("login_ms", 50) / 1000.0
        self.disconnect_after_s = setting.get("disconnect_after_ms")
        self.reconnect_s = setting.get("reconnect_ms", 300) / 1000.0
        self.forget = setting.get("forget_subscriptions", True)
        self.reset_after = setting.get("volume_reset_after")
        self.login_error = setting.get("login_error", False)
        self.td_auth_error = setting.get("td_auth_error", False)
        self.td_login_error = setting.get("td_login_error")
        self.td_error_msg = setting.get("td_error_msg")
        self.unknown = set(setting.get("unknown_symbols", []))
        start = setting.get("clock_start")
        self.clock_start = datetime.fromisoformat(start) if start else None
        self.active = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def subscribe(self, req):
        if req.symbol in self.unknown:
            raise KeyError(req.symbol)
        with self.lock:
            self.subscribed[req.symbol] = req.exchange

    def close(self):
        self.active = False

    def send_order(self, req):
        return ""

    def cancel_order(self, req):
        pass

    def query_account(self):
        pass

    def query_position(self):
        pass

    # -- the API's own thread --------------------------------------------
    def _sleep(self, seconds):
        end = time.monotonic() + seconds
        while self.active and time.monotonic() < end:
            time.sleep(WAIT_STEP_S)
        return self.active

    def _login(self):
        if not self._sleep(self.login_s):
            return False
        if self.td_auth_error:
            self.write_log("交易服务器授权验证失败，代码：63，信息：CTP:客户端认证失败")
        if self.td_login_error is not None:
            code = self.td_login_error
            msg = self.td_error_msg or "CTP:" + CTP_ERRORS.get(code, "错误")
            self.write_log("交易服务器登录失败，代码：%d，信息：%s" % (code, msg))
        self.write_log("行情服务器连接成功")
        if not self._sleep(self.login_s):
            return False
        if self.login_error:
            self.write_log("行情服务器登录失败，代码：3，信息：CTP:不合法的登录")
            return False
        self.logged_in = True
        self.write_log("行情服务器登录成功")
        return True

    def _run(self):
        self.t0 = time.monotonic()
        self.counts = {}
        while self.active:
            if not self._login():
                return
            session_end = (time.monotonic() + self.disconnect_after_s / 1000.0
                           if self.disconnect_after_s else None)
            while self.active and (session_end is None or
                                   time.monotonic() < session_end):
                self._tick_all()
                self._sleep(self.tick_s)
            if not self.active:
                return
            self.logged_in = False
            self.disconnect_after_s = None      # once
            self.write_log("行情服务器连接断开，原因4097")
            if self.forget:
                with self.lock:
                    self.subscribed.clear()
            self._sleep(self.reconnect_s)

    def _exchange_now(self):
        """The exchange clock, China time, whole milliseconds."""
        if self.clock_start is None:
            now = datetime.now(CHINA_TZ).replace(tzinfo=None)
        else:
            now = self.clock_start + timedelta(seconds=time.monotonic() - self.t0)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def _tick_all(self):
        with self.lock:
            subs = sorted(self.subscribed.items())
        now = self._exchange_now()
        for symbol, exchange in subs:
            self.on_tick(self._tick(symbol, exchange, now))

    def _tick(self, symbol, exchange, local):
        n = self.counts[symbol] = self.counts.get(symbol, 0) + 1
        # as vnpy_ctp: a local date and time string, then China time
        text = "%s %s.%03d" % (local.strftime("%Y%m%d"),
                               local.strftime("%H:%M:%S"),
                               local.microsecond // 1000)
        dt = datetime.strptime(text, "%Y%m%d %H:%M:%S.%f").replace(tzinfo=CHINA_TZ)
        reset = self.reset_after and n > self.reset_after
        volume = float(n - self.reset_after if reset else 1000 + 3 * n)
        last = 3500.0 + n % 7
        return TickData(
            gateway_name=self.gateway_name, symbol=symbol, exchange=exchange,
            datetime=dt, name="%s %s" % (symbol, text), volume=volume,
            turnover=volume * last * 10, open_interest=20000.0 + n,
            last_price=last, limit_up=MAX_FLOAT,        # not adjusted by vnpy_ctp
            limit_down=3000.0, open_price=3490.0, high_price=3510.0,
            low_price=3480.0, pre_close=3495.0,
            bid_price_1=last - 1, ask_price_1=last + 1, bid_volume_1=5.0,
            ask_volume_1=7.0, bid_price_2=MAX_FLOAT, ask_price_2=float("nan"),
            localtime=None)
