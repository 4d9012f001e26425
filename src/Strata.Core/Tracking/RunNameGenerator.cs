namespace Strata.Core.Tracking;

/// <summary>Random readable names of the form <c>adjective-noun-NNN</c> for runs and logged models.</summary>
public sealed class RunNameGenerator(Random random)
{
    private static readonly string[] Adjectives =
    [
        "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "curious", "daring", "eager",
        "fancy", "fast", "gentle", "glad", "golden", "grand", "happy", "honest", "humble", "jolly",
        "keen", "kind", "lively", "loud", "lucky", "merry", "mighty", "misty", "modest", "nimble",
        "noble", "polite", "proud", "quick", "quiet", "rapid", "rare", "royal", "rustic", "shiny",
        "silent", "silver", "smart", "snowy", "sober", "stable", "steady", "sunny", "swift", "tidy",
        "upbeat", "vivid", "warm", "wise", "witty", "zesty",
    ];

    private static readonly string[] Nouns =
    [
        "badger", "bear", "bee", "bird", "boar", "cat", "cod", "colt", "crab", "crane",
        "deer", "dove", "duck", "eagle", "eel", "elk", "falcon", "finch", "fox", "frog",
        "gull", "hare", "hawk", "heron", "horse", "ibis", "jay", "koala", "lark", "lion",
        "lynx", "mole", "moth", "newt", "otter", "owl", "panda", "pike", "quail", "ram",
        "raven", "robin", "seal", "shark", "sheep", "snail", "squid", "stork", "swan", "tern",
        "tiger", "toad", "trout", "vole", "whale", "wolf", "wren", "yak",
    ];

    public RunNameGenerator()
        : this(Random.Shared)
    {
    }

    public string Next() =>
        $"{Adjectives[random.Next(Adjectives.Length)]}-{Nouns[random.Next(Nouns.Length)]}-{random.Next(1000)}";
}
