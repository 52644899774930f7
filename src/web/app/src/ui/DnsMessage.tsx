// A DNS flow's query or answer (current mitmproxy's DNS JSON): the header
// bits, the questions and the resource records.
import { dnsMessage, type DnsRecord, type Flow } from "../flow";

const QUESTION_COLUMNS: (keyof DnsRecord)[] = ["name", "type", "class"];
const RECORD_COLUMNS: (keyof DnsRecord)[] = [...QUESTION_COLUMNS, "ttl", "data"];

// One section of the message: its title, then a row of columns per entry.
function Section({ title, list, columns }: { title: string; list: Partial<DnsRecord>[]; columns: (keyof DnsRecord)[] }) {
    return (
        <>
            <h4>{title}</h4>
            <table class="dns-records">
                <tbody>
                    {list.map((r, i) => (
                        <tr key={i}>
                            {columns.map((c) => (
                                <td key={c}>{r[c]}</td>
                            ))}
                        </tr>
                    ))}
                </tbody>
            </table>
        </>
    );
}

// A section of resource records, when it has any.
function Records({ title, list }: { title: string; list?: DnsRecord[] }) {
    return list?.length ? <Section title={title} list={list} columns={RECORD_COLUMNS} /> : null;
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
            <Section title="Questions" list={m.questions ?? []} columns={QUESTION_COLUMNS} />
            <Records title="Answers" list={m.answers} />
            <Records title="Authorities" list={m.authorities} />
            <Records title="Additionals" list={m.additionals} />
        </div>
    );
}
