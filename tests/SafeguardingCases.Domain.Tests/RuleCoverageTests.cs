using System.Reflection;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Domain.Tests;

/// <summary>Every rule ID of POLICY.md has tests named by it; the glossary cites only real rules.</summary>
public sealed class RuleCoverageTests
{
    [Fact]
    public void Every_rule_id_has_at_least_two_tests_named_by_it()
    {
        var names = typeof(PolicyRuleTests).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttributes().Any(a => a is FactAttribute))
            .Select(m => m.Name)
            .ToList();
        var missing = RuleIds.All
            .Select(id => (id, prefix: id.Replace('-', '_') + "_"))
            .Where(r => names.Count(n => n.StartsWith(r.prefix, StringComparison.Ordinal) && !StartsWithLongerRule(n, r.id)) < 2)
            .Select(r => r.id)
            .ToList();
        missing.ShouldBeEmpty("each rule needs a test where it permits or requires and one where it refuses");
    }

    [Fact]
    public void The_glossary_cites_only_known_rule_ids_and_defines_the_policy_terms()
    {
        Glossary.Entries.SelectMany(e => e.RuleIds).ShouldAllBe(id => RuleIds.All.Contains(id));
        var terms = Glossary.Entries.Select(e => e.Term).ToList();
        terms.ShouldContain("Adult at risk");
        terms.ShouldContain("Position of trust");
        terms.ShouldContain("LADO");
        terms.ShouldContain("Emergency");
        terms.ShouldContain("Non-emergency");
        terms.ShouldContain("Safety plan");
        terms.ShouldContain("Transparency notice");
        terms.ShouldBeUnique();
    }

    // ADULT_AT_RISK_ must not count ADULT_AT_RISK_SAFEGUARDING_ tests; LEGACY_* and TRANSPARENCY_* likewise.
    private static bool StartsWithLongerRule(string name, string id) =>
        RuleIds.All.Any(other => other.Length > id.Length && other.StartsWith(id, StringComparison.Ordinal)
                                 && name.StartsWith(other.Replace('-', '_') + "_", StringComparison.Ordinal));
}
