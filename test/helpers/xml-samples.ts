// Sample pbxctrl-failover.xml files shared by the config tests and the fuzzer.
// Addresses are documentation ranges: text only, never contacted.

/** The contract's example, as a person would write it (with a comment and an unknown element). */
export const CONTRACT_SAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<pbxctrl-failover version="1">
  <pair id="acme">                      <!-- id: lower-case letters, digits, - and _ -->
    <name>ACME Corp</name>
    <primary-url>http://192.0.2.10/</primary-url>
    <standby-url>http://198.51.100.20/</standby-url>
    <interval>10</interval>
    <tolerated-failures>3</tolerated-failures>
    <timeout>5</timeout>
    <accept-status>200</accept-status>
    <validation quorum="1"><url>http://www.example.com/</url></validation>
    <action method="POST" encoding="json" auth="basic" retries="5" timeout="10">
      <url>https://dns.example.net/api/records/pbx?target={standby}</url>
      <user>api</user><pass>secret</pass>
      <header name="X-Request-Source">pbx-failover-monitor</header>
      <body>{"pair":"{pair}","reason":"{reason}"}</body>
    </action>
    <failback-action method="POST" encoding="json"><url>https://dns.example.net/api/records/pbx?target={primary}</url><body>{"pair":"{pair}"}</body></failback-action>
    <state since="2026-11-27T08:00:00Z">waiting</state>
  </pair>
</pbxctrl-failover>
`;

/** A pair with only the required elements. */
export function minimalPair(id: string, extra = ''): string {
  return `  <pair id="${id}">
    <primary-url>http://192.0.2.10/</primary-url>
    <interval>1</interval>
    <tolerated-failures>2</tolerated-failures>
    <validation><url>http://203.0.113.1/</url></validation>
    <action><url>http://192.0.2.99/hook?pair={pair}</url></action>${extra}
  </pair>`;
}

export function configWith(...pairs: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<pbxctrl-failover version="1">\n${pairs.join('\n')}\n</pbxctrl-failover>\n`;
}

/** A file that uses everything: unknown elements and attributes, comments, CDATA, state and action progress. */
export const RICH_SAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<!-- maintained by the NOC; ticket 4711 -->
<pbxctrl-failover version="1" owner="noc" xmlns:x="urn:example:extra">
  <x:site-info region="eu">Frankfurt &amp; Berlin</x:site-info>
  <pair id="acme" x:ticket="4711">
    <name>ACME &lt;Corp&gt;</name>
    <primary-url>http://192.0.2.10/</primary-url>
    <standby-url>http://198.51.100.20/</standby-url>
    <interval>0.5</interval>
    <tolerated-failures>3</tolerated-failures>
    <notes>call <b>Bob</b> first</notes>
    <accept-status>200-299</accept-status>
    <validation quorum="2" x:why="two sites">
      <url>http://203.0.113.1/</url>
      <url>http://203.0.113.2/</url>
      <url>http://203.0.113.3/</url>
    </validation>
    <action method="PATCH" encoding="json" auth="bearer" retries="3" timeout="2.5" x:vendor="pdns">
      <url>https://dns.example.net/api/v1/servers/localhost/zones/example.net.</url>
      <pass>tok&amp;en</pass>
      <header name="X-API-Key">k3y</header>
      <header name="X-Request-Source">pbx &quot;failover&quot; monitor</header>
      <x:comment>keep me</x:comment>
      <body><![CDATA[{"rrsets":[{"name":"pbx.example.net.","records":[{"content":"{standby}"}]}],"why":"{reason}"}]]></body>
    </action>
    <state since="2026-11-27T08:00:00.123Z" reason="maintenance window">failover</state>
    <action-progress kind="failover" phase="failed" manual="true" started-at="2026-11-27T08:00:00Z" finished-at="2026-11-27T08:00:09Z">
      <reason>line one
line two</reason>
      <attempt n="1" at="2026-11-27T08:00:01Z" ok="false" status="500" latency-ms="12.5" error="status 500"/>
      <attempt n="2" at="2026-11-27T08:00:03Z" ok="false" latency-ms="2500" error="timed out after 2.5 s"/>
      <request method="PATCH" url="https://dns.example.net/api">
        <header name="X-API-Key">••••••••</header>
        <body>{"a":"b"}</body>
      </request>
    </action-progress>
    <!-- the end of acme -->
  </pair>
${minimalPair('beta')}
  <x:footer/>
</pbxctrl-failover>
<!-- trailing comment -->
`;
