"""mitmproxy.test.tutils: made-up messages for addon unit tests, with the
values of 8.1.1's (tdnsreq, tdnsresp; treq and tresp are tflow's)."""
from mitmproxy import dns
from mitmproxy.test.tflow import treq, tresp


def _message(kwargs, **default):
    default.update(kwargs)
    return dns.Message(**default)


def tdnsreq(**kwargs):
    """A recursive query (id 42) for dns.google A."""
    return _message(
        kwargs, timestamp=946681200, id=42, query=True, op_code=dns.op_codes.QUERY,
        authoritative_answer=False, truncation=False, recursion_desired=True,
        recursion_available=False, reserved=0, response_code=dns.response_codes.NOERROR,
        questions=[dns.Question("dns.google", dns.types.A, dns.classes.IN)],
        answers=[], authorities=[], additionals=[],
    )


def tdnsresp(**kwargs):
    """tdnsreq()'s answer: dns.google is 8.8.8.8 and 8.8.4.4 for 32 seconds."""
    return _message(
        kwargs, timestamp=946681201, id=42, query=False, op_code=dns.op_codes.QUERY,
        authoritative_answer=False, truncation=False, recursion_desired=True,
        recursion_available=True, reserved=0, response_code=dns.response_codes.NOERROR,
        questions=[dns.Question("dns.google", dns.types.A, dns.classes.IN)],
        answers=[
            dns.ResourceRecord("dns.google", dns.types.A, dns.classes.IN, 32, b"\x08\x08\x08\x08"),
            dns.ResourceRecord("dns.google", dns.types.A, dns.classes.IN, 32, b"\x08\x08\x04\x04"),
        ],
        authorities=[], additionals=[],
    )


__all__ = ["tdnsreq", "tdnsresp", "treq", "tresp"]
