#!/usr/bin/python3
"""Interoperability: roomwatchd polls a third-party Modbus TCP server (pymodbus, from Debian)
serving an Eastron SDM630's input registers, and publishes the values that server holds."""
import math
import struct
import sys

from harness import Harness, agent_config, check, free_port, port_open, run, wait_for

SERVER = r'''
import asyncio, logging, struct, sys
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer
logging.basicConfig(level=logging.WARNING, force=True)
port = int(sys.argv[1])
values = {0x00: 229.7, 0x02: 230.4, 0x04: 231.9, 0x06: 3.25, 0x08: 4.5, 0x0A: 5.75,
          0x0C: 746.5, 0x0E: 1036.8, 0x10: 1333.4, 0x34: 3116.7, 0x46: 49.98,
          0x48: 4321.5, 0x156: 4400.25}
regs = [0] * 0x200
for addr, v in values.items():
    hi, lo = struct.unpack(">HH", struct.pack(">f", v))
    regs[addr], regs[addr + 1] = hi, lo
store = ModbusSlaveContext(ir=ModbusSequentialDataBlock(0, regs), zero_mode=True)
ctx = ModbusServerContext(slaves={3: store}, single=False)
asyncio.run(StartAsyncTcpServer(context=ctx, address=("127.0.0.1", port)))
'''

EXPECT = {"v_l1": 229.7, "v_l2": 230.4, "v_l3": 231.9, "i_l1": 3.25, "i_l2": 4.5, "i_l3": 5.75,
          "p_l1": 746.5, "p_l2": 1036.8, "p_l3": 1333.4, "p_total": 3116.7, "frequency": 49.98,
          "energy_import": 4321.5, "energy_total": 4400.25}


def test():
    with Harness("pymodbus") as h:
        port = free_port()
        srv = h.write("server.py", SERVER)
        h.start("pymodbus", ["/usr/bin/python3", srv, str(port)])
        wait_for(lambda: port_open(port), 15, "pymodbus server")
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        h.roomwatchd(agent_config(
            broker.port,
            ['id = "pm"; type = "tcp"; host = "127.0.0.1"; port = %d;' % port],
            ['id = "meter9"; kind = "meter"; bus = "pm"; unit = 3; interval = 1.0; profile = "eastron-sdm630";']))
        wait_for(lambda: len(sub.all("telemetry/meter9$")) >= 2, 20, "telemetry from meter9")
        pts = sub.json("telemetry/meter9$")[-1][2]["points"]
        check(set(pts) == set(EXPECT), "points %s" % sorted(pts))
        for k, want in EXPECT.items():
            check(pts[k]["quality"] == "good" and math.isclose(pts[k]["value"], want),
                  "meter9.%s = %r, pymodbus serves %r" % (k, pts[k], want))


run(test)
