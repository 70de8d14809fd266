"""Templates (one partition), their versions (partition = template), applications (partition = tenant) and roll-outs
(partition = template) with their items (partition = roll-out, one row per tenant)."""

from __future__ import annotations

from collections.abc import Iterable

from shared.models.templates import RolloutItem, Template, TemplateApplication, TemplateRollout, TemplateVersion
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

TEMPLATES = "templates"


class TemplateRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._templates = EntityRepository(storage, "Templates", Template, kind="Template")
        self._versions = EntityRepository(storage, "TemplateVersions", TemplateVersion, kind="Template version")
        self._applications = EntityRepository(
            storage, "TemplateApplications", TemplateApplication, kind="Template application"
        )
        self._rollouts = EntityRepository(storage, "TemplateRollouts", TemplateRollout, kind="Template roll-out")
        self._items = EntityRepository(storage, "TemplateRolloutItems", RolloutItem, kind="Template roll-out item")

    def get_template(self, template_id: str) -> Template:
        return self._templates.get(TEMPLATES, template_id, target="templateId")

    def list_templates(self, *, top: int = 100, skip_token: str | None = None) -> tuple[list[Template], str | None]:
        return self._templates.page("PartitionKey eq @p", {"p": TEMPLATES}, top=top, skip_token=skip_token)

    def put_template(self, template: Template, *, if_match: str | None = None, if_none_match: bool = False) -> Template:
        version = TemplateVersion(
            template_id=template.id,
            version=template.version,
            fields=template.fields,
            parameters=template.parameters,
            created_date_time=template.last_modified_date_time,
        )
        self._versions.put(version, template.id, _version_key(template.version))
        return self._templates.put(template, TEMPLATES, template.id, if_match=if_match, if_none_match=if_none_match)

    def delete_template(self, template_id: str, *, if_match: str | None) -> None:
        self._templates.delete(TEMPLATES, template_id, if_match=if_match)

    def get_version(self, template_id: str, version: int) -> TemplateVersion:
        return self._versions.get(template_id, _version_key(version), target="version")

    def find_application(self, tenant_id: str, template_id: str) -> TemplateApplication | None:
        return self._applications.find(tenant_id, template_id)

    def list_applications(self, tenant_id: str) -> list[TemplateApplication]:
        return list(self._applications.scan("PartitionKey eq @t", {"t": tenant_id}))

    def list_applications_of(self, template_id: str) -> list[TemplateApplication]:
        return list(self._applications.scan("RowKey eq @r", {"r": template_id}))

    def save_drift(self, application: TemplateApplication, drifted_fields: list[str]) -> None:
        changed = application.model_copy(update={"drifted_fields": drifted_fields})
        self._applications.merge(changed, application.tenant_id, application.template_id, ["drifted_fields"])

    def count_drifted(self, tenant_id: str) -> int:
        return sum(1 for a in self.list_applications(tenant_id) if a.drifted_fields)

    def count_drifted_per_tenant(self) -> dict[str, int]:
        drifted: dict[str, int] = {}
        for application in self._applications.scan():
            if application.drifted_fields:
                drifted[application.tenant_id] = drifted.get(application.tenant_id, 0) + 1
        return drifted

    def delete_application(self, tenant_id: str, template_id: str) -> None:
        self._applications.delete(tenant_id, template_id)

    def put_application(self, application: TemplateApplication, *, if_match: str | None = None) -> TemplateApplication:
        return self._applications.put(application, application.tenant_id, application.template_id, if_match=if_match)

    def create_rollout(self, rollout: TemplateRollout, items: Iterable[RolloutItem]) -> TemplateRollout:
        """The items first, so a roll-out on record always has every one of them."""
        self._items.put_many((item, rollout.id, item.tenant_id) for item in items)
        shown = rollout.model_copy(update={"results": []})
        return self._rollouts.put(shown, rollout.template_id, rollout.id, if_none_match=True)

    def get_rollout(self, template_id: str, rollout_id: str) -> TemplateRollout:
        return self._rollouts.get(template_id, rollout_id, target="rolloutId")

    def list_rollouts(
        self, template_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[TemplateRollout], str | None]:
        return self._rollouts.page("PartitionKey eq @p", {"p": template_id}, top=top, skip_token=skip_token)

    def update_rollout(self, rollout: TemplateRollout) -> TemplateRollout:
        return self._rollouts.put(rollout.model_copy(update={"results": []}), rollout.template_id, rollout.id)

    def list_rollout_items(self, rollout_id: str) -> list[RolloutItem]:
        return list(self._items.scan("PartitionKey eq @p", {"p": rollout_id}))

    def save_rollout_item(self, rollout_id: str, item: RolloutItem) -> None:
        self._items.put(item, rollout_id, item.tenant_id)


def _version_key(version: int) -> str:
    return f"{version:06d}"
