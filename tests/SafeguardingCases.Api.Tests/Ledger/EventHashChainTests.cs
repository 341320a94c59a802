using SafeguardingCases.Api.Infrastructure.Persistence;

namespace SafeguardingCases.Api.Tests.Ledger;

/// <summary>
/// The chain's bytes never change: every stored hash, checkpoint and export depends on them. Known answers computed by
/// the first implementation (a JsonNode DOM, a joined string), which the streaming one replaced for the write path's
/// allocations; key order, white space, escaping, Unicode, control characters and numbers included.
/// </summary>
public sealed class EventHashChainTests
{
    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "0d0c1e55-0000-4000-8000-000000000001", 1, "CaseOpened",
        """{"at": "2026-01-10T09:00:00Z", "by": {"name": "Officer Ünïcode \"one\"", "roles": ["SafeguardingOfficer"], "subject": "officer-1"}, "caseId": "0d0c1e55-0000-4000-8000-000000000001", "summary": "enc:v1:abc", "serviceUserAge": {"band": null, "years": 16, "dateOfBirth": null}, "channel": "Chat", "nested": [1, 2.50, -3e2, true, false, null, {"b": 1, "a": [{"z": "é\n\t<&>"}]}]}""",
        "603a808cdc235bdfcdb2953b4529899ee2f13b7c491c47987238f427d2566563")]
    [InlineData("abcccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "01a24bcf-6f04-7d78-b844-8353142906e5", 42, "NoteAdded",
        """{"by":{"subject":"s","name":"n","roles":[]},"at":"2026-12-06T14:33:53.6844797Z","text":"Emoji 😀, 中文, עברית\u0001","noteId":"01a24bcf-0000-7d78-b844-8353142906e5"}""",
        "1359a1977674c23091e0a8ad60df7f89392fa0e942b985cc01916257b78abd6d")]
    [InlineData("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "00000000-0000-0000-0000-000000000000", 7, "Weird",
        """{"at": "x", "by": {"subject": "s"}, "x": 1.0000000000000000001, "y": 100000000000, "z": {}}""",
        "9c696c53b2ece04b50a14617eeed6fd41e6642af8f9ca27be733a174ed46ca2f")]
    public void The_hash_of_an_event_is_the_one_it_always_was(string previous, string stream, long version, string type, string json, string expected) =>
        EventHashChain.Hash(previous, Guid.Parse(stream), version, type, json).ShouldBe(expected);

    [Fact]
    public void The_same_event_in_another_key_order_or_spacing_hashes_the_same()
    {
        var a = EventHashChain.Hash(EventHashChain.Genesis, Guid.Empty, 1, "T", """{"b":{"y":1,"x":[2,3]},"a":"v","by":{"subject":"s"},"at":"t"}""");
        var b = EventHashChain.Hash(EventHashChain.Genesis, Guid.Empty, 1, "T", """{ "at" : "t", "by": {"subject": "s"}, "a": "v", "b": {"x": [2, 3], "y": 1} }""");
        a.ShouldBe(b);
        EventHashChain.Hash(EventHashChain.Genesis, Guid.Empty, 1, "T", """{"a":"w","by":{"subject":"s"},"at":"t"}""").ShouldNotBe(a);
    }
}
