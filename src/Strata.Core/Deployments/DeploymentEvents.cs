using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Strata.Core.Deployments;

/// <summary>
/// A deployment's changes in the registry event log (written in the change's transaction; delivered as webhooks
/// <c>deployment.created|updated|deleted</c>, a rollback as <c>updated</c>). The payload is the revision the deployment
/// points at afterwards (for a delete, the last one): name, revision, route, shadow, sticky key, settings, user.
/// </summary>
public static class DeploymentEvents
{
    public const string Created = "deployment.created";
    public const string Updated = "deployment.updated";
    public const string Deleted = "deployment.deleted";
    public const string RolledBack = "deployment.rolled_back";

    /// <summary>
    /// The model the event is filed under in the event log (its <c>model_name</c> column): the model holding the
    /// largest share of the route, so the event shows up in that model's history.
    /// </summary>
    public static string ModelOf(DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Route.OrderByDescending(t => t.Weight).Select(t => t.Model.ModelName).FirstOrDefault() ?? string.Empty;
    }

    public static string Payload(string name, DeploymentRevision revision, string? user)
    {
        ArgumentNullException.ThrowIfNull(revision);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("name"u8, name);
            w.WriteNumber("revision"u8, revision.Revision);
            if (revision.RolledBackFrom is { } from)
            {
                w.WriteNumber("rolled_back_from"u8, from);
            }

            if (user is not null)
            {
                w.WriteString("user"u8, user);
            }
            else
            {
                w.WriteNull("user"u8);
            }

            DeploymentJson.WriteSpecMembers(w, revision.Spec);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
