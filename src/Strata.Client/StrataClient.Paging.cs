using System.Runtime.CompilerServices;
using Strata.Core.Tracking;

namespace Strata.Client;

public sealed partial class StrataClient
{
    /// <summary>Follows <c>next_page_token</c> until it is missing or empty (spec §9).</summary>
    internal static async IAsyncEnumerable<T> Paginate<T>(
        Func<string?, CancellationToken, Task<Page<T>>> fetchPage,
        [EnumeratorCancellation] CancellationToken ct)
    {
        string? token = null;
        do
        {
            var page = await fetchPage(token, ct).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                yield return item;
            }
            if (page.NextPageToken == token && page.Items.Count == 0)
            {
                yield break; // a server that repeats its token on an empty page would otherwise loop forever
            }
            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));
    }
}
