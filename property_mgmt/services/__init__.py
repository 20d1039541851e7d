from property_mgmt.services.staff import company_take_over, staff_add, staff_remove

__all__ = ["company_take_over", "staff_add", "staff_remove"]
