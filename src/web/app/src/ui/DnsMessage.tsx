// A DNS flow's query or answer (current mitmproxy's DNS JSON): the header
// bits, the questions and the resource records.
import { dnsMessage, type DnsRecord, type Flow } from "../flow";

function Records({ title, list }: { title: string; list?: DnsRecord[] }) {
    if (!list?.length) return null;
    return (
        <>
            <h4>{title}</h4>
            <table class="dns-records">
                <tbody>
                    {list.map((r, i) => (
                        <tr key={i}>
                            <td>{r.name}</td>
                            <td>{r.type}</td>
                            <td>{r.class}</td>
                            <td>{r.ttl}</td>
                            <td>{r.data}</td>
                        </tr>
                    ))}
                </tbody>
            </table>
        </>
    );
}

export function DnsView({ flow, part }: { flow: Flow; part: "request" | "response" }) {
    const m = dnsMessage(flow, part);
    if (!m) return <div class="menu-empty">No {part}.</div>;
    const bits = [
        m.query ? "query" : "response",
        m.op_code,
        m.response_code,
        m.authoritative_answer && "authoritative",
        m.truncation && "truncated",
        m.recursion_desired && "recursion desired",
        m.recursion_available && "recursion available",
    ].filter(Boolean);
    return (
        <div class="dns-message" data-dns={part}>
            <div class="first-line">
                id {m.id}: {bits.join(", ")}
            </div>
            <h4>Questions</h4>
            <table class="dns-records">
                <tbody>
                    {(m.questions ?? []).map((q, i) => (
                        <tr key={i}>
                            <td>{q.name}</td>
                            <td>{q.type}</td>
                            <td>{q.class}</td>
                        </tr>
                    ))}
                </tbody>
            </table>
            <Records title="Answers" list={m.answers} />
            <Records title="Authorities" list={m.authorities} />
            <Records title="Additionals" list={m.additionals} />
        </div>
    );
}
