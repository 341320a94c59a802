using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace SafeguardingCases.Api.Tests.Operations;

/// <summary>
/// The deployment files, parsed and checked, since no cluster or container engine runs here: the Kubernetes
/// manifests (kinds, replicas, probes on the API's real health routes, limits, non-root, read-only root file system,
/// no unpinned images), the container build, the production-like compose file and the CI workflow.
/// </summary>
public sealed partial class DeploymentTests
{
    private static readonly string Root = SafeguardingCases.Testing.Repository.Root;
    private static readonly string Kubernetes = Path.Combine(Root, "deploy", "kubernetes");

    [Fact]
    public void The_kustomization_applies_every_manifest_but_the_secret_example()
    {
        var listed = Sequence(Load("kustomization.yaml"), "resources").Select(Scalar).ToHashSet();
        var files = Directory.GetFiles(Kubernetes, "*.yaml").Select(Path.GetFileName)
            .Where(f => f is not "kustomization.yaml" and not "secret.example.yaml").ToHashSet();
        listed.ShouldBe(files!, ignoreOrder: true);
        Resources().Select(r => Scalar(r["kind"])).ShouldBe(
            ["Namespace", "Cluster", "ConfigMap", "ServiceAccount", "Job", "Deployment", "Service", "Service", "Ingress", "Ingress", "Ingress", "NetworkPolicy", "NetworkPolicy",
                "PodDisruptionBudget", "HorizontalPodAutoscaler", "PersistentVolumeClaim"],
            ignoreOrder: true);
    }

    [Fact]
    public void The_api_runs_two_or_more_non_root_replicas_with_probes_limits_and_a_read_only_root()
    {
        var deployment = Resource("Deployment");
        var spec = Map(deployment, "spec");
        int.Parse(Scalar(spec["replicas"]), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(2);
        var pod = Map(Map(spec, "template"), "spec");
        Scalar(Map(pod, "securityContext")["runAsNonRoot"]).ShouldBe("true");
        var api = (YamlMappingNode)Sequence(pod, "containers").Single();

        Scalar(Map(Map(api, "livenessProbe"), "httpGet")["path"]).ShouldBe("/health/live");
        Scalar(Map(Map(api, "readinessProbe"), "httpGet")["path"]).ShouldBe("/health/ready");
        var resources = Map(api, "resources");
        Map(resources, "requests").Children.Keys.Select(Scalar).ShouldBe(["cpu", "memory"], ignoreOrder: true);
        Map(resources, "limits").Children.Keys.Select(Scalar).ShouldContain("memory");
        var security = Map(api, "securityContext");
        Scalar(security["readOnlyRootFilesystem"]).ShouldBe("true");
        Scalar(security["allowPrivilegeEscalation"]).ShouldBe("false");
        Sequence(api, "volumeMounts").Select(m => Scalar(((YamlMappingNode)m)["mountPath"])).ShouldContain("/tmp", "a read-only root needs a writable /tmp");

        var labels = Map(Map(Map(spec, "template"), "metadata"), "labels");
        var pdb = Map(Map(Resource("PodDisruptionBudget"), "spec"), "selector");
        Map(pdb, "matchLabels").Children.ShouldBe(labels.Children);
        var hpa = Map(Resource("HorizontalPodAutoscaler"), "spec");
        Scalar(Map(hpa, "scaleTargetRef")["name"]).ShouldBe(Scalar(Map(deployment, "metadata")["name"]));
        int.Parse(Scalar(hpa["minReplicas"]), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public void The_schema_is_applied_by_a_job_and_postgres_is_a_three_instance_cloudnativepg_cluster()
    {
        var job = Map(Map(Map(Resource("Job"), "spec"), "template"), "spec");
        var container = (YamlMappingNode)Sequence(job, "containers").Single();
        Sequence(container, "args").Select(Scalar).ShouldBe(["db-apply", "--grant", "safeguarding_app"]);

        var cluster = Resource("Cluster");
        Scalar(cluster["apiVersion"]).ShouldBe("postgresql.cnpg.io/v1");
        Scalar(Map(cluster, "spec")["instances"]).ShouldBe("3");

        var config = Map(Resource("ConfigMap"), "data");
        Scalar(config["Database__ApplySchemaOnStartup"]).ShouldBe("false");
        Scalar(config["ASPNETCORE_ENVIRONMENT"]).ShouldBe("Production");
        config.Children.Keys.Select(Scalar).ShouldNotContain("Auth__DevSigningKey");
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        foreach (var key in config.Children.Keys.Select(Scalar).Where(k => !k.StartsWith("OTEL_", StringComparison.Ordinal) && k != "ASPNETCORE_ENVIRONMENT"))
            readme.ShouldContain($"`{key}", customMessage: $"{key} is a setting the README documents");
    }

    [Fact]
    public void Tls_ends_at_an_ingress_with_a_managed_certificate_and_the_api_requires_https_behind_it()
    {
        var ingress = Named("Ingress", "safeguarding-api");
        Map(Map(ingress, "metadata"), "annotations").Children.Keys.Select(Scalar).ShouldContain("cert-manager.io/cluster-issuer");
        var tls = (YamlMappingNode)Sequence(Map(ingress, "spec"), "tls").Single();
        Scalar(tls["secretName"]).ShouldNotBeNullOrEmpty();
        var hosts = Sequence(tls, "hosts").Select(Scalar).ToList();
        var rule = (YamlMappingNode)Sequence(Map(ingress, "spec"), "rules").Single();
        hosts.ShouldContain(Scalar(rule["host"]), "the routed host is the one the certificate is for");
        var backend = Map(Map((YamlMappingNode)Sequence(Map(rule, "http"), "paths").Single(), "backend"), "service");
        Scalar(backend["name"]).ShouldBe("safeguarding-api");
        Named("Service", "safeguarding-api");

        var config = Map(Resource("ConfigMap"), "data");
        Scalar(config["Http__RequireHttps"]).ShouldBe("true");
        Scalar(config["Http__KnownNetworks"]).ShouldMatch(@"^\d+\.\d+\.\d+\.\d+/\d+$");
    }

    [Fact]
    public void Network_policies_let_only_the_ingress_reach_the_api_and_only_the_api_reach_postgres()
    {
        var policies = Resources().Where(r => Scalar(r["kind"]) == "NetworkPolicy").Select(r => Map(r, "spec")).ToList();
        var apiLabels = Map(Map(Map(Map(Resource("Deployment"), "spec"), "template"), "metadata"), "labels");
        var toApi = policies.Single(p => Map(Map(p, "podSelector"), "matchLabels").Children.SequenceEqual(apiLabels.Children));
        var apiFrom = Sequence(toApi, "ingress").Cast<YamlMappingNode>().SelectMany(i => Sequence(i, "from")).Cast<YamlMappingNode>().ToList();
        apiFrom.ShouldHaveSingleItem();
        Scalar(Map(Map(apiFrom[0], "namespaceSelector"), "matchLabels")["kubernetes.io/metadata.name"]).ShouldBe("ingress-nginx");

        var toDb = policies.Single(p => Map(Map(p, "podSelector"), "matchLabels").Children.Keys.Select(Scalar).Contains("cnpg.io/cluster"));
        var dbRule = Sequence(toDb, "ingress").Cast<YamlMappingNode>().Single(i => Sequence(i, "ports").Cast<YamlMappingNode>().Any(p => Scalar(p["port"]) == "5432"));
        var dbFrom = Sequence(dbRule, "from").Cast<YamlMappingNode>().Select(f => Map(Map(f, "podSelector"), "matchLabels")).ToList();
        dbFrom.ShouldContain(l => l.Children.SequenceEqual(apiLabels.Children));
        dbFrom.ShouldAllBe(l => l.Children.Count == 1);
        dbFrom.Select(l => Scalar(l.Children.Single().Value)).ShouldBe(["safeguarding-api", "safeguarding-db-apply", "safeguarding-db"], ignoreOrder: true);
    }

    [Fact]
    public void The_example_connection_strings_verify_the_servers_certificate()
    {
        var example = File.ReadAllText(Path.Combine(Kubernetes, "secret.example.yaml"));
        var connectionStrings = example.Split('\n').Where(l => l.Contains("Host=", StringComparison.Ordinal)).ToList();
        connectionStrings.Count.ShouldBe(3);
        connectionStrings.ShouldAllBe(l => l.Contains("SSL Mode=VerifyFull", StringComparison.Ordinal) && l.Contains("Root Certificate=", StringComparison.Ordinal));
    }

    [Fact]
    public void No_image_is_unpinned()
    {
        var renamed = Sequence(Load("kustomization.yaml"), "images").Cast<YamlMappingNode>()
            .ToDictionary(i => Scalar(i["name"]), i => $"{Scalar(i["newName"])}:{Scalar(i["newTag"])}");
        var images = Resources().SelectMany(r => r.AllNodes.OfType<YamlMappingNode>())
            .SelectMany(m => m.Children.Where(c => Scalar(c.Key) is "image" or "imageName").Select(c => Scalar(c.Value)))
            .Select(i => renamed.TryGetValue(i, out var pinned) ? pinned : i)
            .ToList();
        images.ShouldNotBeEmpty();
        images.ShouldAllBe(i => PinnedImage().IsMatch(i), "every image names an exact version, never latest");

        var dockerfile = File.ReadAllLines(Path.Combine(Root, "deploy", "Dockerfile"));
        dockerfile.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ShouldAllBe(i => PinnedImage().IsMatch(i));
        dockerfile.ShouldContain(l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        dockerfile.ShouldContain("USER app");
        var ignored = File.ReadAllLines(Path.Combine(Root, ".dockerignore"));
        ignored.ShouldContain("**/bin/");
        ignored.ShouldContain("**/obj/");
    }

    [Fact]
    public void Compose_has_a_production_like_file_beside_the_development_one_and_ci_runs_the_suite()
    {
        var production = (YamlMappingNode)LoadFile(Path.Combine(Root, "deploy", "docker-compose.production.yml"));
        var services = Map(production, "services");
        var api = Map(services, "api");
        var environment = Map(api, "environment");
        Scalar(environment["ASPNETCORE_ENVIRONMENT"]).ShouldBe("Production");
        Scalar(environment["Database__ApplySchemaOnStartup"]).ShouldBe("false");
        environment.Children.Keys.Select(Scalar).ShouldNotContain("Auth__DevSigningKey");
        Scalar(api["read_only"]).ShouldBe("true");
        Sequence(Map(services, "db-apply"), "command").Select(Scalar).First().ShouldBe("db-apply");

        var workflow = File.ReadAllText(Path.Combine(Root, ".github", "workflows", "ci.yml"));
        workflow.ShouldContain("bash .ci/run");
        workflow.ShouldContain("docker build -f deploy/Dockerfile");
    }

    [Fact]
    public void Each_cases_requests_go_to_one_replica_by_the_case_id_as_in_the_nginx_file_the_tests_run()
    {
        var ingress = Named("Ingress", "safeguarding-api-cases");
        var annotations = Map(Map(ingress, "metadata"), "annotations");
        Scalar(annotations["nginx.ingress.kubernetes.io/use-regex"]).ShouldBe("true");
        Scalar(annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"]).ShouldBe("true");
        var hashBy = Scalar(annotations["nginx.ingress.kubernetes.io/upstream-hash-by"]);
        var rule = (YamlMappingNode)Sequence(Map(ingress, "spec"), "rules").Single();
        Scalar(rule["host"]).ShouldBe(Scalar(((YamlMappingNode)Sequence(Map(Named("Ingress", "safeguarding-api"), "spec"), "rules").Single())["host"]));
        var tls = (YamlMappingNode)Sequence(Map(ingress, "spec"), "tls").Single();
        Scalar(tls["secretName"]).ShouldBe("safeguarding-api-tls", "the same certificate as the host's other routes");
        var path = (YamlMappingNode)Sequence(Map(rule, "http"), "paths").Single();
        var pattern = Scalar(path["path"]);
        pattern.ShouldContain($"(?<{hashBy.TrimStart('$')}>", Case.Sensitive, "the hash is by the path's named capture");

        // Its own Service (one upstream per Service in ingress-nginx), on the same pods as the console's.
        var service = Named("Service", Scalar(Map(Map(path, "backend"), "service")["name"]));
        Scalar(Map(service, "metadata")["name"]).ShouldBe("safeguarding-api-cases");
        Map(Map(service, "spec"), "selector").Children.ShouldBe(Map(Map(Named("Service", "safeguarding-api"), "spec"), "selector").Children);

        // The same paths route as in deploy/nginx/route-by-case.conf, which CaseRoutingTests runs in nginx.
        var conf = File.ReadAllText(Path.Combine(Root, "deploy", "nginx", "route-by-case.conf"));
        var confPattern = NginxCaseRoute().Match(conf).Groups[1].Value;
        confPattern.ShouldNotBeEmpty();
        var id = Guid.NewGuid();
        foreach (var (sample, routed) in new[]
        {
            ($"/api/v1/cases/{id}", true), ($"/api/v1/cases/{id}/notes", true), ($"/api/v1/cases/{id}/escalations/x/notice", true),
            ("/api/v1/cases", false), ("/api/v1/cases/", false), ($"/api/v1/cases/{id}x/notes", false), ($"/cases/{id}", false),
            ("/api/v1/audit/escalations", false),
        })
        {
            var ingressMatch = Regex.Match(sample, "^" + pattern, RegexOptions.IgnoreCase);
            var confMatch = Regex.Match(sample, confPattern, RegexOptions.IgnoreCase);
            ingressMatch.Success.ShouldBe(routed, sample);
            confMatch.Success.ShouldBe(routed, sample);
            if (routed) ingressMatch.Groups[hashBy.TrimStart('$')].Value.ShouldBe(confMatch.Groups["case_id"].Value, sample);
        }
    }

    [Fact]
    public void No_ingress_writes_an_access_log_since_paths_carry_case_ids()
    {
        var ingresses = Resources().Where(r => Scalar(r["kind"]) == "Ingress").ToList();
        ingresses.Count.ShouldBe(3);
        foreach (var ingress in ingresses)
            Scalar(Map(Map(ingress, "metadata"), "annotations")["nginx.ingress.kubernetes.io/enable-access-log"])
                .ShouldBe("false", Scalar(Map(ingress, "metadata")["name"]));
        File.ReadAllText(Path.Combine(Root, "deploy", "nginx", "route-by-case.conf")).ShouldContain("access_log off;");
    }

    [Fact]
    public void A_full_ledger_verification_may_outlast_the_proxies_default_timeout_on_its_own_path_only()
    {
        // 7 µs an event: 74 s at ten million, past the 60 s every other path keeps.
        var ingress = Named("Ingress", "safeguarding-api-verify");
        int.Parse(Scalar(Map(Map(ingress, "metadata"), "annotations")["nginx.ingress.kubernetes.io/proxy-read-timeout"]), System.Globalization.CultureInfo.InvariantCulture)
            .ShouldBeGreaterThanOrEqualTo(600);
        var rule = (YamlMappingNode)Sequence(Map(ingress, "spec"), "rules").Single();
        var path = (YamlMappingNode)Sequence(Map(rule, "http"), "paths").Single();
        Scalar(path["path"]).ShouldBe("/api/v1/audit/ledger/verify");
        Scalar(path["pathType"]).ShouldBe("Exact");
        Map(Map(Named("Ingress", "safeguarding-api"), "metadata"), "annotations").Children.Keys.Select(Scalar)
            .ShouldNotContain("nginx.ingress.kubernetes.io/proxy-read-timeout", "every other path keeps the default");
        var conf = File.ReadAllText(Path.Combine(Root, "deploy", "nginx", "route-by-case.conf"));
        Regex.Match(conf, @"location = /api/v1/audit/ledger/verify \{[^}]*proxy_read_timeout (\d+)s;").Groups[1].Value.ShouldBe("900");
    }

    /// <summary>
    /// The console's session lives in one replica, so a browser is kept with it by a cookie: one that goes with the way
    /// back from the identity provider (a cross-site GET) and the first page after it, as SameSite=Lax does and Strict
    /// does not (a journey runs the same rule in nginx, two instances and a browser). route-by-case.conf agrees.
    /// </summary>
    [Fact]
    public void The_consoles_affinity_cookie_goes_with_the_way_back_from_the_identity_provider()
    {
        var annotations = Map(Map(Named("Ingress", "safeguarding-api"), "metadata"), "annotations");
        Scalar(annotations["nginx.ingress.kubernetes.io/affinity"]).ShouldBe("cookie");
        Scalar(annotations["nginx.ingress.kubernetes.io/session-cookie-samesite"]).ShouldBe("Lax");
        Scalar(annotations["nginx.ingress.kubernetes.io/session-cookie-secure"]).ShouldBe("true");
        var conf = File.ReadAllText(Path.Combine(Root, "deploy", "nginx", "route-by-case.conf"));
        conf.ShouldContain("SameSite=Lax");
        conf.ShouldNotContain("SameSite=Strict");
    }

    [GeneratedRegex("\"~\\*(\\^/api/v1/cases/[^\"]+)\" \\$case_id;")]
    private static partial Regex NginxCaseRoute();

    private static YamlMappingNode Named(string kind, string name) =>
        Resources().Single(r => Scalar(r["kind"]) == kind && Scalar(Map(r, "metadata")["name"]) == name);

    [GeneratedRegex(@"^[a-z0-9./-]+(:[0-9]+(\.[0-9]+)+[a-z0-9.-]*|@sha256:[0-9a-f]{64})$")]
    private static partial Regex PinnedImage();

    private static IEnumerable<YamlMappingNode> Resources() =>
        Sequence(Load("kustomization.yaml"), "resources").SelectMany(r => LoadAll(Path.Combine(Kubernetes, Scalar(r))));

    private static IEnumerable<YamlMappingNode> LoadAll(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    private static YamlMappingNode Resource(string kind) => Resources().Single(r => Scalar(r["kind"]) == kind);

    private static YamlMappingNode Load(string file) => (YamlMappingNode)LoadFile(Path.Combine(Kubernetes, file));

    private static YamlNode LoadFile(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents.Single().RootNode;
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode node, string key) => ((YamlSequenceNode)node[key]).Children;

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";
}
