"""Local stand-in for Twilio: REST subset, signed webhooks, TwiML executor, scripted phones, clock.

from sim import Sim
sim = Sim()                      # virtual time; generated AC... SID and auth token
base = sim.start()               # REST + /sim/api on 127.0.0.1:<free port>
sim.add_number("+886277001234", voice_url="http://127.0.0.1:5000/voice")
c = sim.dial("+886912345678", "+886277001234")
c.expect_say("press 1"); c.press("1"); sim.advance(5)

Strict where Twilio refuses things: a <Say> whose voice and language Twilio does not document
together (sim/voices.py; the default voice `man` speaks English, Spanish, French and German)
plays nothing and logs warning 13511 in the call's events.
"""

from sim.handle import CallHandle
from sim.phones import Hangup, Phone, Press, Silence, Speak
from sim.server import Sim, SimError

__all__ = ["Sim", "SimError", "CallHandle", "Phone", "Press", "Speak", "Hangup", "Silence"]
