using System.Text.Json;
using Strata.Core.Auth;

namespace Strata.Server.Auth;

/// <summary>The JSON of MLflow's basic-auth entities (<c>mlflow.server.auth.entities</c>) and of Strata's tokens.</summary>
public static class AuthJson
{
    public static void WriteUser(Utf8JsonWriter w, AuthUser user, UserGrants? grants = null)
    {
        w.WriteStartObject();
        w.WriteNumber("id"u8, user.Id);
        w.WriteString("username"u8, user.Username);
        w.WriteBoolean("is_admin"u8, user.IsAdmin);
        w.WriteStartArray("experiment_permissions"u8);
        foreach (var (experimentId, permission) in (grants ?? UserGrants.None).Experiments.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            WriteExperimentPermission(w, new ExperimentPermission(experimentId, user.Id, permission));
        }

        w.WriteEndArray();
        w.WriteStartArray("registered_model_permissions"u8);
        foreach (var (name, permission) in (grants ?? UserGrants.None).RegisteredModels.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            WriteRegisteredModelPermission(w, new RegisteredModelPermission(name, user.Id, permission));
        }

        w.WriteEndArray();
        w.WriteStartArray("deployment_permissions"u8);
        foreach (var (name, permission) in (grants ?? UserGrants.None).Deployments.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            WriteDeploymentPermission(w, new DeploymentPermission(name, user.Id, permission));
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteDeploymentPermission(Utf8JsonWriter w, DeploymentPermission p)
    {
        w.WriteStartObject();
        w.WriteString("deployment_name"u8, p.Name);
        w.WriteNumber("user_id"u8, p.UserId);
        w.WriteString("permission"u8, p.Permission.ToString());
        w.WriteEndObject();
    }

    public static void WriteExperimentPermission(Utf8JsonWriter w, ExperimentPermission p)
    {
        w.WriteStartObject();
        w.WriteString("experiment_id"u8, p.ExperimentId);
        w.WriteNumber("user_id"u8, p.UserId);
        w.WriteString("permission"u8, p.Permission.ToString());
        w.WriteEndObject();
    }

    public static void WriteRegisteredModelPermission(Utf8JsonWriter w, RegisteredModelPermission p)
    {
        w.WriteStartObject();
        w.WriteString("name"u8, p.Name);
        w.WriteNumber("user_id"u8, p.UserId);
        w.WriteString("permission"u8, p.Permission.ToString());
        w.WriteEndObject();
    }

    /// <summary>A token as listed: never its secret.</summary>
    public static void WriteToken(Utf8JsonWriter w, ApiToken t)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, t.Id);
        w.WriteString("name"u8, t.Name);
        w.WriteString("username"u8, t.Username);
        if (t.Deployment is not null)
        {
            w.WriteString("deployment"u8, t.Deployment);
        }

        w.WriteNumber("creation_timestamp"u8, t.CreationTimestamp);
        if (t.ExpirationTimestamp is { } expires)
        {
            w.WriteNumber("expiration_timestamp"u8, expires);
        }

        if (t.RevokedTimestamp is { } revoked)
        {
            w.WriteNumber("revoked_timestamp"u8, revoked);
        }

        w.WriteEndObject();
    }
}
